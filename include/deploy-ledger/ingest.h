/* Trace ingest: decoding OTLP protobuf, OTLP JSON and Jaeger JSON into a
 * trace set, from memory, files and directories.
 *
 * Every decoder appends the spans it reads to a dl_trace_set.  On failure
 * the set is left as it was (rows appended by the failed call are
 * removed) unless the options ask for lenient decoding, in which case
 * whatever decoded is kept, bad spans (or JSON lines) are skipped and
 * counted, and the first problem is recorded in stats->warning.
 *
 * Errors name the input (`source', usually the file name) and the place:
 * the byte offset for protobuf, the line, column and JSON path for JSON
 * (dl_error.line/column/offset, and in the text). */
#ifndef DL_INGEST_H
#define DL_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "trace-set.h"

typedef enum dl_trace_format {
  DL_FORMAT_AUTO = 0,      /* detect from the content */
  DL_FORMAT_OTLP_PROTOBUF, /* ExportTraceServiceRequest or TracesData */
  DL_FORMAT_OTLP_JSON,     /* one document, JSON Lines, or {"result": ...} */
  DL_FORMAT_JAEGER_JSON,   /* query API, UI download, span arrays */
  DL_FORMAT_UNKNOWN
} dl_trace_format;

typedef struct dl_ingest_options {
  int format;       /* DL_FORMAT_*; AUTO by default */
  int lenient;      /* keep partial results, skip bad spans, lines and
                       files (a file that is not a regular one included) */
  size_t max_bytes; /* largest input accepted, per file or answer, after
                       decompression; 0: DL_INGEST_DEFAULT_MAX_BYTES */
  const char *max_bytes_option; /* how a user raises max_bytes, named in the
                                   error (NULL: "max_bytes"); borrowed */
} dl_ingest_options;

/* 512 MiB: a file this size decodes into about as much again, which a
   small CI machine still holds; larger inputs need the limit raised. */
#define DL_INGEST_DEFAULT_MAX_BYTES ((size_t) 512 << 20)

/* gzip input that inflates to more than DL_GZIP_MAX_RATIO times the
   compressed bytes read, once past DL_GZIP_RATIO_AFTER bytes of output,
   is refused at once as a decompression bomb (trace data compresses
   some 10 to 30 times); a genuine file that does must be decompressed
   first. */
#define DL_GZIP_MAX_RATIO 200
#define DL_GZIP_RATIO_AFTER ((size_t) 1 << 20)

typedef struct dl_ingest_stats {
  size_t spans;   /* rows added to the set */
  size_t skipped; /* spans, lines or files dropped (lenient mode only) */
  size_t skipped_files; /* of those, whole files that did not decode */
  size_t files;   /* files decoded */
  size_t bytes;   /* bytes decoded, after decompression */
  int format;     /* format of the last document decoded */
  dl_error warning; /* lenient mode: the first problem (code 0 if none) */
} dl_ingest_stats;

void dl_ingest_options_init(dl_ingest_options *opt);
void dl_ingest_stats_init(dl_ingest_stats *stats);

/* "otlp-protobuf", "otlp-json", "jaeger-json", "auto", "unknown". */
const char *dl_format_name(int format);

/* The format of DATA (already decompressed) judged from its first bytes
   and, for JSON, its first keys; DL_FORMAT_UNKNOWN when none fits. */
int dl_detect_format(const void *data, size_t len);

/* Nonzero when DATA starts with the gzip magic number. */
int dl_is_gzip(const void *data, size_t len);

/* Inflates gzip DATA (one or more members) into *OUT (malloc'ed, to be
   freed), refusing more than MAX bytes of output and a ratio past
   DL_GZIP_MAX_RATIO (DL_ERANGE, as soon as it is seen). */
int dl_gunzip(const void *data, size_t len, size_t max, void **out, size_t *out_len,
              const char *source, dl_error *err) DL_MUST_CHECK;

/* Decodes DATA (gzip-compressed or not) into SET.  SOURCE names the input
   in errors (NULL: "input").  OPT and STATS may be NULL. */
int dl_decode(dl_trace_set *set, const void *data, size_t len, const char *source,
              const dl_ingest_options *opt, dl_ingest_stats *stats, dl_error *err) DL_MUST_CHECK;

/* The decoders themselves, on uncompressed data. */
int dl_decode_otlp_protobuf(dl_trace_set *set, const void *data, size_t len, const char *source,
                            const dl_ingest_options *opt, dl_ingest_stats *stats,
                            dl_error *err) DL_MUST_CHECK;
int dl_decode_otlp_json(dl_trace_set *set, const void *data, size_t len, const char *source,
                        const dl_ingest_options *opt, dl_ingest_stats *stats,
                        dl_error *err) DL_MUST_CHECK;
int dl_decode_jaeger_json(dl_trace_set *set, const void *data, size_t len, const char *source,
                          const dl_ingest_options *opt, dl_ingest_stats *stats,
                          dl_error *err) DL_MUST_CHECK;

/* Reads a whole file into *OUT (malloc'ed), at most MAX bytes.  Only a
   regular file is read: a FIFO, a device or a socket is refused (DL_EIO)
   without blocking, since it is opened non-blocking and checked before
   any read. */
int dl_read_file(const char *path, size_t max, void **out, size_t *len, dl_error *err) DL_MUST_CHECK;

/* Loads one file, or every trace file of a directory and its
   subdirectories (names ending in .json, .jsonl, .ndjson, .pb, .bin,
   .protobuf, .protobuf-bin or .otlp, each optionally followed by .gz; hidden entries
   skipped; in name order).  A file named directly is always decoded.
   Entries that are not regular files fail (lenient: are skipped and
   counted); a directory reached again through a symbolic link (a loop)
   fails, lenient or not. */
int dl_load_path(dl_trace_set *set, const char *path, const dl_ingest_options *opt,
                 dl_ingest_stats *stats, dl_error *err) DL_MUST_CHECK;

#endif
