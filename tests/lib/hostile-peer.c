/* A hostile HTTP peer for tests, on raw sockets: it listens on
   127.0.0.1 and misbehaves in one way, for every request on every
   connection, so that a test can check that the client gives up in time,
   in bounded memory, with a clear error.

     hostile-peer MODE PORT-FILE [LOG-FILE]

   writes the port it listens on to PORT-FILE (atomically) and appends
   each request line to LOG-FILE.  MODEs:

     hang          reads the request, never answers
     trickle       a 200 announcing 100000 bytes, then one byte a second
     huge          a 200 JSON body that never ends: {"data":["aaaa...",...
     garbage       a 200 "application/json" body of 64 KiB of random bytes
     gzip-bomb     a 200 with Content-Encoding: gzip inflating to zeros
                   without end (1 MiB of it is about 1 KiB on the wire)
     redirect      a 302 to the same URL, again and again
     retry-after   a 429 asking to come back in 10000000000 seconds
     retry-date    a 429 asking to come back on 31 Dec 9999

   It stops on SIGTERM, and by itself after ten minutes at the latest, so
   that a test killed half-way leaves nothing running. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

static const char *mode;
static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* Sends all of DATA; 0 once the client has gone. */
static int
send_all(int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return 0;
    p += n;
    len -= (size_t) n;
  }
  return 1;
}

static int
send_text(int fd, const char *text)
{
  return send_all(fd, text, strlen(text));
}

/* Reads the request head (up to the blank line, at most 64 KiB) and logs
   its first line; 0 when the client closed first. */
static int
read_request(int fd)
{
  char buf[65536];
  size_t used = 0;
  while (used < sizeof buf - 1) {
    ssize_t n = recv(fd, buf + used, sizeof buf - 1 - used, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return 0;
    used += (size_t) n;
    buf[used] = '\0';
    if (strstr(buf, "\r\n\r\n"))
      break;
  }
  if (log_file) {
    char *eol = strstr(buf, "\r\n");
    pthread_mutex_lock(&log_lock);
    fprintf(log_file, "%.*s\n", eol ? (int) (eol - buf) : (int) used, buf);
    fflush(log_file);
    pthread_mutex_unlock(&log_lock);
  }
  return 1;
}

static void
serve_hang(int fd)
{
  /* Hold the connection until the client gives up. */
  char c;
  while (recv(fd, &c, 1, 0) > 0)
    ;
}

static void
serve_trickle(int fd)
{
  if (!send_text(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100000\r\n\r\n"))
    return;
  for (int i = 0; i < 100000; i++) {
    if (!send_all(fd, i == 0 ? "{" : " ", 1))
      return;
    sleep(1);
  }
}

static void
serve_huge(int fd)
{
  if (!send_text(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: 1099511627776\r\n\r\n{\"data\":["))
    return;
  char chunk[65536];
  /* "aaaa...a", repeated: a list of services, or of anything, without end. */
  for (size_t i = 0; i < sizeof chunk; i += 64) {
    memset(chunk + i, 'a', 64);
    chunk[i] = '"';
    chunk[i + 62] = '"';
    chunk[i + 63] = ',';
  }
  while (send_all(fd, chunk, sizeof chunk))
    ;
}

static void
serve_garbage(int fd)
{
  unsigned char body[65536];
  unsigned int x = 2463534242u;
  for (size_t i = 0; i < sizeof body; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    body[i] = (unsigned char) x;
  }
  char head[200];
  snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
           "Content-Length: %zu\r\nConnection: close\r\n\r\n", sizeof body);
  if (send_text(fd, head))
    send_all(fd, body, sizeof body);
}

static void
serve_gzip_bomb(int fd)
{
  if (!send_text(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Encoding: gzip\r\nConnection: close\r\n\r\n"))
    return;
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return;
  static unsigned char zeros[1 << 16];
  unsigned char out[1 << 16];
  for (;;) {
    zs.next_in = zeros;
    zs.avail_in = sizeof zeros;
    do {
      zs.next_out = out;
      zs.avail_out = sizeof out;
      deflate(&zs, Z_NO_FLUSH);
      size_t have = sizeof out - zs.avail_out;
      if (have && !send_all(fd, out, have)) {
        deflateEnd(&zs);
        return;
      }
    } while (zs.avail_out == 0);
  }
}

static void
serve_status(int fd, const char *head)
{
  send_text(fd, head);
}

static void *
serve(void *arg)
{
  int fd = (int) (intptr_t) arg;
  if (read_request(fd)) {
    if (strcmp(mode, "hang") == 0)
      serve_hang(fd);
    else if (strcmp(mode, "trickle") == 0)
      serve_trickle(fd);
    else if (strcmp(mode, "huge") == 0)
      serve_huge(fd);
    else if (strcmp(mode, "garbage") == 0)
      serve_garbage(fd);
    else if (strcmp(mode, "gzip-bomb") == 0)
      serve_gzip_bomb(fd);
    else if (strcmp(mode, "redirect") == 0)
      serve_status(fd, "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n");
    else if (strcmp(mode, "retry-after") == 0)
      serve_status(fd, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 10000000000\r\n"
                       "Content-Length: 0\r\nConnection: close\r\n\r\n");
    else if (strcmp(mode, "retry-date") == 0)
      serve_status(fd, "HTTP/1.1 429 Too Many Requests\r\n"
                       "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n"
                       "Content-Length: 0\r\nConnection: close\r\n\r\n");
  }
  close(fd);
  return NULL;
}

int
main(int argc, char **argv)
{
  static const char *const modes[] = {"hang", "trickle", "huge", "garbage", "gzip-bomb",
                                      "redirect", "retry-after", "retry-date"};
  int known = 0;
  if (argc >= 3)
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
      known |= strcmp(argv[1], modes[i]) == 0;
  if (!known) {
    fprintf(stderr, "usage: hostile-peer MODE PORT-FILE [LOG-FILE]\n"
                    "MODE: hang, trickle, huge, garbage, gzip-bomb, redirect, retry-after "
                    "or retry-date\n");
    return 2;
  }
  mode = argv[1];
  if (argc > 3 && !(log_file = fopen(argv[3], "a"))) {
    perror(argv[3]);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  alarm(600);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr *) &a, sizeof a) != 0 || listen(s, 64) != 0
      || getsockname(s, (struct sockaddr *) &a, &alen) != 0) {
    perror("hostile-peer");
    return 1;
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
  FILE *pf = fopen(tmp, "w");
  if (!pf || fprintf(pf, "%d\n", ntohs(a.sin_port)) < 0 || fclose(pf) != 0
      || rename(tmp, argv[2]) != 0) {
    perror(argv[2]);
    return 1;
  }
  for (;;) {
    int fd = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      perror("accept");
      return 1;
    }
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, serve, (void *) (intptr_t) fd) != 0)
      close(fd);
    pthread_attr_destroy(&attr);
  }
}
