/* The receiver's state, shared by the request handling (handle.c) and
   the HTTP server around it (server.c).  Internal. */
#ifndef DL_RECEIVER_STATE_H
#define DL_RECEIVER_STATE_H

#include <stdint.h>

#include "deploy-ledger/receiver.h"
#include "receiver/window-store.h"

struct MHD_Daemon;

struct dl_receiver {
  struct MHD_Daemon *daemon;
  int port;
  dl_receiver_options opt; /* with the defaults filled in; token owned */
  dl_window_store store;
  /* Counters, atomically updated (see dl_receiver_stats). */
  uint64_t requests, requests_ok, bad_requests, too_large, unsupported, unauthorized, busy,
    timed_out;
  size_t queued;
};

/* Fills the zero fields of OPT with the defaults. */
void dl_receiver_apply_defaults(dl_receiver_options *opt);

/* Counts ANSWER's status in R's counters. */
void dl_receiver_count_answer(dl_receiver *r, int status);

/* The encoding of a Content-Type value: 1 for OTLP JSON, 0 for OTLP
   protobuf, -1 for anything else (parameters after ';' are ignored, case
   too). */
int dl_receiver_media_type(const char *content_type);

#endif
