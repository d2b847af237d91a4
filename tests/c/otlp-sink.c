/* A loopback OTLP/HTTP sink for shell tests:
     otlp-sink PORTFILE DIR [ANSWER]...
   listens on 127.0.0.1 (a free port, written to PORTFILE), gives the
   ANSWERs in turn and then 200, writes each request body to DIR/N.bin,
   and exits after 120 seconds or on SIGTERM.  An ANSWER is an HTTP
   status, optionally with ",retry-after=VALUE" (a Retry-After header),
   or "hang": read the request and never answer. */
#include "receiver.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
  stop = 1;
}

int
main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: otlp-sink PORTFILE DIR [STATUS]...\n");
    return 2;
  }
  receiver *r = receiver_start(0);
  if (!r)
    return 1;
  for (int i = 3; i < argc; i++) {
    planned_response p = {atoi(argv[i]), "", 0, "text/plain", NULL, 0, 0};
    const char *ra = strstr(argv[i], ",retry-after=");
    if (ra)
      p.retry_after = ra + strlen(",retry-after=");
    p.hang = strcmp(argv[i], "hang") == 0;
    receiver_plan(r, p);
  }
  FILE *f = fopen(argv[1], "w");
  fprintf(f, "%d\n", receiver_port(r));
  fclose(f);
  signal(SIGTERM, on_term);
  size_t written = 0;
  for (int tick = 0; !stop && tick < 1200; tick++) {
    usleep(100000);
    while (written < receiver_count(r)) {
      const received_request *q = receiver_request(r, written);
      char path[512];
      snprintf(path, sizeof path, "%s/%zu.bin", argv[2], written++);
      FILE *out = fopen(path, "wb");
      if (out) {
        fwrite(q->body, 1, q->len, out);
        fclose(out);
      }
    }
  }
  receiver_stop(r);
  return 0;
}
