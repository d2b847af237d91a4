/* A loopback OTLP/HTTP receiver for tests: answers as planned, records
   what it received (gzip bodies inflated). */
#ifndef RECEIVER_H
#define RECEIVER_H

#include <stddef.h>

typedef struct planned_response {
  int status;
  const char *body;
  size_t body_len;
  const char *content_type;
  const char *retry_after; /* Retry-After header, or NULL */
  int delay_ms;            /* wait before answering */
  int hang;                /* read the request, never answer (until stopped) */
} planned_response;

typedef struct received_request {
  char *body;
  size_t len;
  char content_type[128];
  char content_encoding[32];
  char api_key[128];       /* the x-api-key header */
  char user_agent[128];
  char path[256];
} received_request;

typedef struct receiver receiver;

/* Starts on 127.0.0.1 on PORT (0: any free port). */
receiver *receiver_start(int port);
int receiver_port(const receiver *r);
/* Queues a response; with none queued the answer is 200 and an empty body. */
void receiver_plan(receiver *r, planned_response response);
size_t receiver_count(receiver *r);
const received_request *receiver_request(receiver *r, size_t i);
void receiver_stop(receiver *r);

#endif
