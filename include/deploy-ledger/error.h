/* Status codes and the caller-supplied error record of libdeployledger. */
#ifndef DL_ERROR_H
#define DL_ERROR_H

#include <stddef.h>

#if defined(__GNUC__)
#define DL_MUST_CHECK __attribute__((warn_unused_result))
#define DL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DL_MUST_CHECK
#define DL_PRINTF(f, a)
#endif

/* Every fallible function returns one of these; 0 is success. */
typedef enum dl_status {
  DL_OK = 0,
  DL_EINVAL,      /* malformed input: a header, a timestamp, a name */
  DL_ENOMEM,      /* allocation failed */
  DL_ENOTFOUND,   /* no such deployment, file or key */
  DL_EAMBIGUOUS,  /* an id prefix that matches several deployments */
  DL_ETRANSITION, /* a status change the lifecycle forbids */
  DL_ESTORAGE,    /* the ledger database failed or is not a ledger */
  DL_ESCHEMA,     /* the ledger was written by a newer deploy-ledger */
  DL_EIO,         /* reading or writing a file failed */
  DL_EPARSE,      /* a document (protobuf, JSON) does not decode */
  DL_EHTTP,       /* a remote endpoint failed or refused */
  DL_ECLOSED,     /* a handle used after it was closed */
  DL_ERANGE,      /* a value outside what the format can hold */
  DL_STATUS_COUNT
} dl_status;

/* Detail of the last failure of one call, in the manner of json_error_t.
   `text' names the input and what is wrong; `source' names the file or
   argument; line, column and offset are -1 where they do not apply. */
typedef struct dl_error {
  int code;
  long line;
  long column;
  long offset;
  char source[160];
  char text[640];
} dl_error;

/* A short, constant description of a status code ("invalid input"). */
const char *dl_strerror(int code);

/* The symbolic name of a status code ("invalid-input"), for bindings. */
const char *dl_status_name(int code);

/* Clears `err' (which may be NULL). */
void dl_error_clear(dl_error *err);

/* Records CODE and a formatted message in ERR (which may be NULL) and
   returns CODE, so that `return dl_fail(err, DL_EINVAL, ...)' reads well. */
int dl_fail(dl_error *err, int code, const char *fmt, ...) DL_PRINTF(3, 4);

/* Sets the source and position of ERR after a failure. */
void dl_error_at(dl_error *err, const char *source, long line, long column,
                 long offset);

#endif
