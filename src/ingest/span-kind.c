/* Span kinds by name: the one table of the names, in the order of the
   OTLP enum (DL_KIND_*), shared by the decoders, the Guile glue and,
   through it, every Scheme procedure that takes or returns a kind. */
#include "deploy-ledger/trace-set.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[DL_KIND_COUNT] = {"unspecified", "internal", "server",
                                                      "client",      "producer", "consumer"};

const char *
dl_span_kind_name(int kind)
{
  return kind >= 0 && kind < DL_KIND_COUNT ? kind_names[kind] : NULL;
}

static int
same_ignoring_case(const char *a, const char *b, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    unsigned char x = (unsigned char) a[i], y = (unsigned char) b[i];
    if (x >= 'A' && x <= 'Z')
      x = (unsigned char) (x + ('a' - 'A'));
    if (x != y)
      return 0;
  }
  return 1;
}

int
dl_span_kind_parse(const char *name, size_t len, int *kind, dl_error *err)
{
  for (int i = 0; name && i < DL_KIND_COUNT; i++)
    if (strlen(kind_names[i]) == len && same_ignoring_case(name, kind_names[i], len)) {
      *kind = i;
      return DL_OK;
    }
  /* The valid names come from the table, so the message cannot drift. */
  char valid[96];
  size_t used = 0;
  for (int i = 0; i < DL_KIND_COUNT; i++)
    used += (size_t) snprintf(valid + used, sizeof valid - used, "%s%s",
                              i == 0 ? "" : i == DL_KIND_COUNT - 1 ? " or " : ", ", kind_names[i]);
  int shown = name ? (int) (len < 80 ? len : 80) : 0;
  return dl_fail(err, DL_EINVAL, "unknown span kind \"%.*s\" (expected %s)", shown,
                 name ? name : "", valid);
}
