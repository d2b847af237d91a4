/* Encoding speed: our protobuf encoder, protobuf-c and our OTLP/JSON
   encoder on batches of 512 standard spans.  Usage: bench/encode [seconds]
   Times are the process's CPU time (one thread: one core), so that other
   work on the machine does not skew them. */
#include "otlp-pbc.h"
#include "standard-spans.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 512

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
  double seconds = argc > 1 ? atof(argv[1]) : 2.0;
  dl_arena a = DL_ARENA_INIT;
  dl_export_request req;
  standard_request(&a, BATCH, 1700000000000000000LL, &req);

  dl_otlp_encoder *enc = dl_otlp_encoder_new();
  const uint8_t *ours;
  size_t ours_len = 0;
  long batches = 0;
  double t0 = now_s(), t;
  do {
    for (int i = 0; i < 100; i++)
      if (dl_otlp_encode(enc, &req, &ours, &ours_len, NULL))
        return 1;
    batches += 100;
  } while ((t = now_s() - t0) < seconds);
  double ours_rate = batches * BATCH / t;

  PbRequest *m = pbc_from_model(&a, &req);
  uint8_t *buf = malloc(ours_len * 2);
  size_t pbc_len = 0;
  batches = 0;
  t0 = now_s();
  do {
    for (int i = 0; i < 100; i++) {
      pbc_len = opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(m);
      opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(m, buf);
    }
    batches += 100;
  } while ((t = now_s() - t0) < seconds);
  double pbc_rate = batches * BATCH / t;
  int identical = pbc_len == ours_len && memcmp(buf, ours, ours_len) == 0;

  batches = 0;
  size_t json_len = 0;
  t0 = now_s();
  do {
    for (int i = 0; i < 10; i++) {
      char *text;
      if (dl_otlp_encode_json(&req, &text, &json_len, NULL))
        return 1;
      free(text);
    }
    batches += 10;
  } while ((t = now_s() - t0) < seconds);
  double json_rate = batches * BATCH / t;

  printf("standard span, batches of %d, one core (spans per CPU second):\n", BATCH);
  printf("  deploy-ledger protobuf  %12.0f spans/s  %6.1f bytes/span  (%s protobuf-c's bytes)\n",
         ours_rate, (double) ours_len / BATCH, identical ? "identical to" : "DIFFERENT FROM");
  printf("  protobuf-c pack         %12.0f spans/s  (%.1fx slower)\n", pbc_rate, ours_rate / pbc_rate);
  printf("  deploy-ledger OTLP/JSON %12.0f spans/s  %6.1f bytes/span\n", json_rate,
         (double) json_len / BATCH);
  printf("{\"bench\":\"encode\",\"spans_per_s\":%.0f,\"protobuf_c_spans_per_s\":%.0f,"
         "\"json_spans_per_s\":%.0f,\"bytes_per_span\":%.1f}\n",
         ours_rate, pbc_rate, json_rate, (double) ours_len / BATCH);
  free(buf);
  dl_otlp_encoder_free(enc);
  dl_arena_free(&a);
  return identical ? 0 : 1;
}
