/* libFuzzer harness: dl_decode_jaeger_json (see fuzz-decoder.h). */
#include "fuzz-decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return fuzz_one(dl_decode_jaeger_json, data, size);
}
