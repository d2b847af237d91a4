/* A small blocking HTTP/1.1 client over one loopback connection, for the
   receiver's tests and benchmark: keep-alive, Content-Length answers,
   every read and write under a deadline (poll), raw writes for the
   hostile cases (slow clients, floods). */
#ifndef DL_TEST_HTTP_CLIENT_H
#define DL_TEST_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct http_answer {
  int status;        /* 0: no answer (closed, or the deadline passed) */
  char headers[2048];
  char *body;        /* malloc'ed, NUL-terminated */
  size_t body_len;
} http_answer;

static inline long long
http_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connection to 127.0.0.1:PORT, or -1. */
static inline int
http_connect(int port)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t) port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *) &a, sizeof a) < 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* Writes all of P before DEADLINE (ms, monotonic); 0 or -1. */
static inline int
http_write_all(int fd, const void *p, size_t n, long long deadline)
{
  const char *c = p;
  while (n) {
    struct pollfd pf = {fd, POLLOUT, 0};
    long long left = deadline - http_now_ms();
    if (left <= 0 || poll(&pf, 1, (int) left) <= 0)
      return -1;
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    c += w;
    n -= (size_t) w;
  }
  return 0;
}

/* Reads what is available into BUF (at most N) before DEADLINE: bytes
   read, 0 at the end of the stream, -1 on error or deadline. */
static inline ssize_t
http_read_some(int fd, char *buf, size_t n, long long deadline)
{
  for (;;) {
    struct pollfd pf = {fd, POLLIN, 0};
    long long left = deadline - http_now_ms();
    if (left <= 0 || poll(&pf, 1, (int) left) <= 0)
      return -1;
    ssize_t r = recv(fd, buf, n, 0);
    if (r < 0 && errno == EINTR)
      continue;
    return r;
  }
}

/* The value of header NAME in A (copied into OUT), or NULL. */
static inline const char *
http_header(const http_answer *a, const char *name, char *out, size_t size)
{
  size_t nl = strlen(name);
  for (const char *p = a->headers; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
    if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ')
        v++;
      size_t len = strcspn(v, "\r\n");
      if (len >= size)
        len = size - 1;
      memcpy(out, v, len);
      out[len] = '\0';
      return out;
    }
  }
  return NULL;
}

/* Reads one answer (status, headers, Content-Length body) into A. */
static inline int
http_read_answer(int fd, http_answer *a, long long deadline)
{
  memset(a, 0, sizeof *a);
  char buf[4096];
  size_t have = 0;
  char *end = NULL;
  while (!end) {
    if (have == sizeof buf - 1)
      return -1;
    ssize_t r = http_read_some(fd, buf + have, sizeof buf - 1 - have, deadline);
    if (r <= 0)
      return -1;
    have += (size_t) r;
    buf[have] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  size_t head = (size_t) (end - buf) + 4;
  if (sscanf(buf, "HTTP/1.%*d %d", &a->status) != 1)
    return -1;
  snprintf(a->headers, sizeof a->headers, "%.*s", (int) head, buf);
  char v[32];
  size_t len = http_header(a, "Content-Length", v, sizeof v) ? strtoul(v, NULL, 10) : 0;
  a->body = malloc(len + 1);
  size_t got = have - head < len ? have - head : len;
  memcpy(a->body, buf + head, got);
  while (got < len) {
    ssize_t r = http_read_some(fd, a->body + got, len - got, deadline);
    if (r <= 0) {
      free(a->body);
      a->body = NULL;
      a->status = 0;
      return -1;
    }
    got += (size_t) r;
  }
  a->body[len] = '\0';
  a->body_len = len;
  return 0;
}

/* POSTs BODY to PATH on connection FD with the given Content-Type and
   Content-Encoding (NULL: none) and EXTRA header lines ("K: V\r\n", or
   NULL); reads the answer into A.  0, or -1 when no answer came before
   TIMEOUT_MS. */
static inline int
http_post(int fd, const char *path, const char *content_type, const char *content_encoding,
          const char *extra, const void *body, size_t len, http_answer *a, int timeout_ms)
{
  char head[1024];
  int n = snprintf(head, sizeof head,
                   "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n%s%s%s"
                   "%sContent-Length: %zu\r\n\r\n",
                   path, content_type, content_encoding ? "Content-Encoding: " : "",
                   content_encoding ? content_encoding : "", content_encoding ? "\r\n" : "",
                   extra ? extra : "", len);
  long long deadline = http_now_ms() + timeout_ms;
  memset(a, 0, sizeof *a);
  if (http_write_all(fd, head, (size_t) n, deadline))
    return -1;
  /* A server may answer (413) and close before the body is all sent. */
  if (len)
    (void) http_write_all(fd, body, len, deadline);
  return http_read_answer(fd, a, deadline);
}

static inline void
http_answer_free(http_answer *a)
{
  free(a->body);
  a->body = NULL;
}

#endif
