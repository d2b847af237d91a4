/* libFuzzer harness: dl_decode (auto-detection, gzip, every decoder; see fuzz-decoder.h). */
#include "fuzz-decoder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return fuzz_one(dl_decode, data, size);
}
