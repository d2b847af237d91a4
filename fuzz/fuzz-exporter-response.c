/* libFuzzer harness: a collector's answer to an export, in protobuf and
   in JSON (dl_partial_success_parse).  The answer comes from the
   network: whatever it holds, the result is a count that is not
   negative and a message that is printable text, and a failure says
   where. */
#include <stdint.h>
#include <string.h>

#include "net/excerpt.h"
#include "otlp/exporter-response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  for (int json = 0; json < 2; json++) {
    dl_partial_success out;
    dl_error err;
    dl_error_clear(&err);
    int rc = dl_partial_success_parse(data, size, json, &out, &err);
    if (rc != DL_OK && err.text[0] == '\0')
      __builtin_trap();
    size_t len = strnlen(out.message, sizeof out.message);
    if (len == sizeof out.message || out.rejected_spans < 0
        || !dl_http_is_text(out.message, len))
      __builtin_trap();
  }
  return 0;
}
