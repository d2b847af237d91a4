/* Ingest entry points: format detection, gzip, dispatch to the decoders,
   files and directories. */
#include "deploy-ledger/ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest/json-scanner.h"

void
dl_ingest_options_init(dl_ingest_options *opt)
{
  memset(opt, 0, sizeof *opt);
}

void
dl_ingest_stats_init(dl_ingest_stats *stats)
{
  memset(stats, 0, sizeof *stats);
  dl_error_clear(&stats->warning);
}

const char *
dl_format_name(int format)
{
  switch (format) {
  case DL_FORMAT_AUTO: return "auto";
  case DL_FORMAT_OTLP_PROTOBUF: return "otlp-protobuf";
  case DL_FORMAT_OTLP_JSON: return "otlp-json";
  case DL_FORMAT_JAEGER_JSON: return "jaeger-json";
  default: return "unknown";
  }
}

int
dl_is_gzip(const void *data, size_t len)
{
  const uint8_t *p = data;
  return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

#define IS(k, lit) ((k).len == sizeof(lit) - 1 && memcmp((k).ptr, lit, sizeof(lit) - 1) == 0)

/* Looks at the members of the first JSON object for a key that only one
   format has. */
static int
detect_json_object(const uint8_t *p, size_t len)
{
  dl_js js;
  dl_js_init(&js, p, len, NULL, NULL);
  int format = DL_FORMAT_UNKNOWN;
  int more = dl_js_object_begin(&js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(&js, &k))
      break;
    if (IS(k, "resourceSpans") || IS(k, "resource_spans") || IS(k, "result") || IS(k, "batches") ||
        IS(k, "trace")) {
      format = DL_FORMAT_OTLP_JSON;
      break;
    }
    if (IS(k, "data") || IS(k, "spans") || IS(k, "processes") || IS(k, "traceID") ||
        IS(k, "traceId") || IS(k, "spanID") || IS(k, "spanId")) {
      format = DL_FORMAT_JAEGER_JSON;
      break;
    }
    if (IS(k, "error")) {
      /* api/v3 error object (OTLP side) vs a Jaeger v1 error list. */
      format = DL_FORMAT_OTLP_JSON;
      break;
    }
    if (dl_js_skip(&js))
      break;
    more = dl_js_object_next(&js);
  }
  /* Malformed JSON: let the OTLP decoder say where. */
  if (js.code)
    format = DL_FORMAT_OTLP_JSON;
  dl_js_release(&js);
  return format;
}

/* Text: the first bytes hold no control character but white space.
   Protobuf's tags and lengths put small bytes there almost at once. */
static int
looks_textual(const uint8_t *p, size_t len)
{
  size_t n = len < 64 ? len : 64;
  for (size_t i = 0; i < n; i++)
    if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
      return 0;
  return 1;
}

int
dl_detect_format(const void *data, size_t len)
{
  const uint8_t *p = data, *end = p + len;
  /* Field 1 (resource_spans), length-delimited -- or a newline before JSON. */
  if (len && *p == 0x0a && !looks_textual(p, len))
    return DL_FORMAT_OTLP_PROTOBUF;
  if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
    p += 3; /* a UTF-8 byte order mark */
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    p++;
  if (p >= end)
    return DL_FORMAT_UNKNOWN;
  if (*p == '[')
    return DL_FORMAT_JAEGER_JSON;
  if (*p == '{')
    return detect_json_object(p, (size_t) (end - p));
  return DL_FORMAT_UNKNOWN;
}

/* Why DATA is not a format we read, for the error message. */
static const char *
unknown_reason(const uint8_t *p, size_t len)
{
  size_t i = 0;
  while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
    i++;
  if (i == len)
    return "empty input (no trace document)";
  if (p[i] == '#' || (len - i >= 14 && memcmp(p + i, "resource_spans", 14) == 0))
    return "looks like protobuf text format, which is not read (use binary protobuf or JSON)";
  if (p[i] == '{')
    return "JSON, but neither OTLP (resourceSpans) nor Jaeger (data, spans)";
  if (p[i] == '<')
    return "HTML or XML, not a trace document";
  return "not OTLP protobuf, OTLP JSON or Jaeger JSON";
}

/* How a user raises the limit, for the messages. */
static const char *
max_option(const dl_ingest_options *opt)
{
  return opt && opt->max_bytes_option ? opt->max_bytes_option : "max_bytes";
}

static int
gunzip(const void *data, size_t len, size_t max, const char *hint, void **out, size_t *out_len,
       const char *source, dl_error *err)
{
  *out = NULL;
  *out_len = 0;
  if (!source)
    source = "input";
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 15 + 16) != Z_OK)
    return dl_fail(err, DL_ENOMEM, "%s: cannot start gzip decompression", source);
  /* Start small: the ratio check below must see a bomb before a first
     large buffer is filled. */
  size_t cap = len * 4 > 65536 ? len * 4 : 65536;
  if (cap > DL_GZIP_RATIO_AFTER * 4)
    cap = DL_GZIP_RATIO_AFTER * 4;
  if (cap > max + 1)
    cap = max + 1;
  unsigned char *buf = malloc(cap);
  if (!buf) {
    inflateEnd(&zs);
    return dl_fail(err, DL_ENOMEM, "%s: out of memory decompressing", source);
  }
  const unsigned char *in = data;
  size_t in_left = len, used = 0;
  int rc = DL_OK;
  for (;;) {
    if (used == cap) {
      if (cap > max) {
        rc = dl_fail(err, DL_ERANGE, "%s: decompresses to more than %zu bytes, the limit "
                     "(raise it with %s)", source, max, hint);
        break;
      }
      size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
      unsigned char *nb = realloc(buf, ncap);
      if (!nb) {
        rc = dl_fail(err, DL_ENOMEM, "%s: out of memory decompressing", source);
        break;
      }
      buf = nb;
      cap = ncap;
    }
    size_t in_chunk = in_left > UINT32_MAX ? UINT32_MAX : in_left;
    size_t out_chunk = cap - used > UINT32_MAX ? UINT32_MAX : cap - used;
    zs.next_in = (unsigned char *) in;
    zs.avail_in = (uInt) in_chunk;
    zs.next_out = buf + used;
    zs.avail_out = (uInt) out_chunk;
    int z = inflate(&zs, Z_NO_FLUSH);
    in += in_chunk - zs.avail_in;
    in_left -= in_chunk - zs.avail_in;
    used += out_chunk - zs.avail_out;
    /* A bomb is refused at its start, not once it filled the limit. */
    if (used > DL_GZIP_RATIO_AFTER && used / DL_GZIP_MAX_RATIO > len - in_left) {
      rc = dl_fail(err, DL_ERANGE, "%s: refused: %zu compressed bytes inflate to %zu, more "
                   "than %d times as many (a decompression bomb?); if the file is genuine, "
                   "decompress it first", source, len - in_left, used, DL_GZIP_MAX_RATIO);
      break;
    }
    if (z == Z_STREAM_END) {
      /* Another member may follow (concatenated gzip files). */
      if (in_left >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      if (in_left) {
        rc = dl_fail(err, DL_EPARSE, "%s: byte %zu: data after the end of the gzip stream", source,
                     len - in_left);
        dl_error_at(err, source, -1, -1, (long) (len - in_left));
      }
      break;
    }
    if (z == Z_OK)
      continue;
    if (z == Z_BUF_ERROR && zs.avail_out == 0)
      continue; /* needs more room */
    if (z == Z_BUF_ERROR || (z == Z_OK && !in_left))
      rc = dl_fail(err, DL_EPARSE, "%s: byte %zu: gzip data is truncated", source, len - in_left);
    else if (z == Z_MEM_ERROR)
      rc = dl_fail(err, DL_ENOMEM, "%s: out of memory decompressing", source);
    else
      rc = dl_fail(err, DL_EPARSE, "%s: byte %zu: corrupt gzip data (%s)", source, len - in_left,
                   zs.msg ? zs.msg : "inflate failed");
    dl_error_at(err, source, -1, -1, (long) (len - in_left));
    break;
  }
  inflateEnd(&zs);
  if (rc) {
    free(buf);
    return rc;
  }
  *out = buf;
  *out_len = used;
  return DL_OK;
}

int
dl_gunzip(const void *data, size_t len, size_t max, void **out, size_t *out_len,
          const char *source, dl_error *err)
{
  return gunzip(data, len, max, "max_bytes", out, out_len, source, err);
}

int
dl_decode(dl_trace_set *set, const void *data, size_t len, const char *source,
          const dl_ingest_options *opt, dl_ingest_stats *stats, dl_error *err)
{
  dl_ingest_options defaults;
  if (!opt) {
    dl_ingest_options_init(&defaults);
    opt = &defaults;
  }
  if (!source)
    source = "input";
  size_t max = opt->max_bytes ? opt->max_bytes : DL_INGEST_DEFAULT_MAX_BYTES;
  void *plain = NULL;
  if (dl_is_gzip(data, len)) {
    size_t plain_len;
    int rc = gunzip(data, len, max, max_option(opt), &plain, &plain_len, source, err);
    if (rc)
      return rc;
    data = plain;
    len = plain_len;
  } else if (len > max) {
    return dl_fail(err, DL_ERANGE, "%s: %zu bytes is more than the limit of %zu (raise it with "
                   "%s)", source, len, max, max_option(opt));
  }
  int format = opt->format ? opt->format : dl_detect_format(data, len);
  int rc;
  switch (format) {
  case DL_FORMAT_OTLP_PROTOBUF:
    rc = dl_decode_otlp_protobuf(set, data, len, source, opt, stats, err);
    break;
  case DL_FORMAT_OTLP_JSON:
    rc = dl_decode_otlp_json(set, data, len, source, opt, stats, err);
    break;
  case DL_FORMAT_JAEGER_JSON:
    rc = dl_decode_jaeger_json(set, data, len, source, opt, stats, err);
    break;
  default:
    rc = dl_fail(err, DL_EPARSE, "%s: %s", source, unknown_reason(data, len));
    dl_error_at(err, source, -1, -1, 0);
    break;
  }
  free(plain);
  return rc;
}

/* Reads the regular file PATH, at most MAX bytes (HINT: how to raise it). */
static int
read_file(const char *path, size_t max, const char *hint, void **out, size_t *len, dl_error *err)
{
  *out = NULL;
  *len = 0;
  /* Non-blocking: opening a FIFO must not wait for a writer.  The type
     is checked on the descriptor, so nothing can swap the file between
     the check and the read. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return dl_fail(err, errno == ENOENT ? DL_ENOTFOUND : DL_EIO, "cannot open %s: %s", path,
                   strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return dl_fail(err, DL_EIO, "cannot read %s: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return dl_fail(err, DL_EIO, "%s is %s, not a regular file: only regular files (or gzip of "
                   "them) are read as traces", path,
                   S_ISFIFO(st.st_mode)  ? "a FIFO"
                   : S_ISCHR(st.st_mode) ? "a character device"
                   : S_ISBLK(st.st_mode) ? "a block device"
                   : S_ISSOCK(st.st_mode) ? "a socket"
                   : S_ISDIR(st.st_mode) ? "a directory"
                                         : "something else");
  }
  if ((uint64_t) st.st_size > max) {
    close(fd);
    return dl_fail(err, DL_ERANGE, "%s: %lld bytes is more than the limit of %zu (raise it "
                   "with %s)", path, (long long) st.st_size, max, hint);
  }
  /* The size known, one allocation; a file growing meanwhile is cut at
     the limit below. */
  size_t cap = (size_t) st.st_size + 1;
  char *buf = malloc(cap);
  if (!buf) {
    close(fd);
    return dl_fail(err, DL_ENOMEM, "out of memory reading %s", path);
  }
  size_t used = 0;
  for (;;) {
    if (used == cap) {
      if (cap > max) {
        free(buf);
        close(fd);
        return dl_fail(err, DL_ERANGE, "%s is more than the limit of %zu bytes (raise it "
                       "with %s)", path, max, hint);
      }
      size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
      char *nb = realloc(buf, ncap);
      if (!nb) {
        free(buf);
        close(fd);
        return dl_fail(err, DL_ENOMEM, "out of memory reading %s", path);
      }
      buf = nb;
      cap = ncap;
    }
    ssize_t got = read(fd, buf + used, cap - used);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      int e = errno;
      free(buf);
      close(fd);
      return dl_fail(err, DL_EIO, "cannot read %s: %s", path, strerror(e));
    }
    if (got == 0)
      break;
    used += (size_t) got;
  }
  close(fd);
  if (used > max) {
    free(buf);
    return dl_fail(err, DL_ERANGE, "%s is more than the limit of %zu bytes (raise it with %s)",
                   path, max, hint);
  }
  *out = buf;
  *len = used;
  return DL_OK;
}

int
dl_read_file(const char *path, size_t max, void **out, size_t *len, dl_error *err)
{
  return read_file(path, max, "max_bytes", out, len, err);
}

static int
load_file(dl_trace_set *set, const char *path, const dl_ingest_options *opt,
          dl_ingest_stats *stats, dl_error *err)
{
  size_t max = opt->max_bytes ? opt->max_bytes : DL_INGEST_DEFAULT_MAX_BYTES;
  void *data;
  size_t len;
  /* A compressed file may be read whole even if it inflates past MAX;
     dl_gunzip applies the limit to the output. */
  int rc = read_file(path, max, max_option(opt), &data, &len, err);
  if (rc)
    return rc;
  rc = dl_decode(set, data, len, path, opt, stats, err);
  free(data);
  if (rc == DL_OK && stats)
    stats->files++;
  return rc;
}

/* Names a directory walk decodes. */
static int
trace_file_name(const char *name)
{
  static const char *const exts[] = {".json", ".jsonl", ".ndjson", ".pb", ".bin", ".protobuf", ".protobuf-bin", ".otlp"};
  size_t n = strlen(name);
  if (n > 3 && strcmp(name + n - 3, ".gz") == 0)
    n -= 3;
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
    size_t e = strlen(exts[i]);
    if (n > e && strncmp(name + n - e, exts[i], e) == 0)
      return 1;
  }
  return 0;
}

static int
compare_names(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The directories being walked, from the one being read up to the top:
   a directory met again below itself came through a symbolic link loop. */
typedef struct dir_chain {
  dev_t dev;
  ino_t ino;
  const char *path;
  const struct dir_chain *up;
} dir_chain;

static int
load_dir(dl_trace_set *set, const char *path, const dl_ingest_options *opt,
         dl_ingest_stats *stats, dl_error *err, const dir_chain *up, int depth)
{
  if (depth > 32)
    return dl_fail(err, DL_EIO, "%s: directories nested more than 32 deep", path);
  DIR *dir = opendir(path);
  if (!dir)
    return dl_fail(err, DL_EIO, "cannot open directory %s: %s", path, strerror(errno));
  struct stat dst;
  if (fstat(dirfd(dir), &dst) != 0) {
    int e = errno;
    closedir(dir);
    return dl_fail(err, DL_EIO, "cannot read directory %s: %s", path, strerror(e));
  }
  for (const dir_chain *c = up; c; c = c->up)
    if (c->dev == dst.st_dev && c->ino == dst.st_ino) {
      closedir(dir);
      return dl_fail(err, DL_EIO, "%s is %s again: a symbolic link loop; remove the link or "
                     "name a directory without one", path, c->path);
    }
  dir_chain here = {dst.st_dev, dst.st_ino, path, up};
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = DL_OK;
  struct dirent *de;
  while ((de = readdir(dir))) {
    if (de->d_name[0] == '.')
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn) {
        rc = dl_fail(err, DL_ENOMEM, "out of memory listing %s", path);
        break;
      }
      names = nn;
    }
    names[n] = strdup(de->d_name);
    if (!names[n]) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory listing %s", path);
      break;
    }
    n++;
  }
  closedir(dir);
  if (rc == DL_OK)
    qsort(names, n, sizeof *names, compare_names);
  for (size_t i = 0; i < n && rc == DL_OK; i++) {
    size_t plen = strlen(path) + strlen(names[i]) + 2;
    char *full = malloc(plen);
    if (!full) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory");
      break;
    }
    snprintf(full, plen, "%s/%s", path, names[i]);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
      rc = load_dir(set, full, opt, stats, err, &here, depth + 1);
    else if (trace_file_name(names[i])) {
      rc = load_file(set, full, opt, stats, err);
      if (rc && opt->lenient && rc != DL_ENOMEM) {
        /* Lenient: a bad file is noted and skipped. */
        if (stats) {
          if (!stats->warning.code)
            stats->warning = *err;
          stats->skipped++;
          stats->skipped_files++;
        }
        dl_error_clear(err);
        rc = DL_OK;
      }
    }
    free(full);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return rc;
}

int
dl_load_path(dl_trace_set *set, const char *path, const dl_ingest_options *opt,
             dl_ingest_stats *stats, dl_error *err)
{
  dl_ingest_options defaults;
  if (!opt) {
    dl_ingest_options_init(&defaults);
    opt = &defaults;
  }
  struct stat st;
  if (stat(path, &st) != 0)
    return dl_fail(err, errno == ENOENT ? DL_ENOTFOUND : DL_EIO, "cannot read %s: %s", path,
                   strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return load_file(set, path, opt, stats, err);
  size_t base = dl_trace_set_count(set);
  int rc = load_dir(set, path, opt, stats, err, NULL, 0);
  /* A directory loads whole or not at all (unless lenient). */
  if (rc)
    dl_trace_set_truncate(set, base);
  return rc;
}
