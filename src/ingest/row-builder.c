/* The span builder shared by the decoders: picks out the attributes the
   trace set keeps, decides the error flag and type, appends the row. */
#include "ingest/row-builder.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/base64.h"

void
dl_rb_init(dl_row_builder *b, dl_trace_set *set)
{
  memset(b, 0, sizeof *b);
  b->set = set;
  b->n_kept = dl_trace_set_kept_count(set);
  if (b->n_kept > DL_SB_MAX_KEPT)
    b->n_kept = DL_SB_MAX_KEPT;
  for (size_t i = 0; i < b->n_kept; i++) {
    const char *k = dl_trace_set_kept_key(set, i);
    b->kept_keys[i].ptr = k;
    b->kept_keys[i].len = strlen(k);
  }
}

void
dl_rb_resource_begin(dl_row_builder *b)
{
  b->res_service = b->res_version = b->res_region = b->res_env = 0;
  b->res_mesh_service = b->res_mesh_version = 0;
  b->res_mesh_service_rank = b->res_mesh_version_rank = b->res_mesh_marked = 0;
  if (b->n_kept)
    memset(b->res_kept, 0, b->n_kept * sizeof b->res_kept[0]);
}

/* Interns S, absent when empty; -1 when out of memory. */
static int
intern(dl_row_builder *b, const char *s, size_t len, uint32_t *id)
{
  if (!len) {
    *id = 0;
    return 0;
  }
  unsigned slot = (unsigned) (len * 31 + (unsigned char) s[0] * 7 + (unsigned char) s[len - 1] +
                              (unsigned char) s[len / 2] * 3) & 63;
  if (b->recent_len[slot] == len && b->recent_id[slot] && memcmp(b->recent_str[slot], s, len) == 0) {
    *id = b->recent_id[slot];
    return 0;
  }
  *id = dl_trace_set_intern(b->set, s, len);
  if (!*id)
    return -1;
  b->recent_id[slot] = *id;
  b->recent_len[slot] = (uint32_t) len;
  b->recent_str[slot] = dl_trace_set_string(b->set, *id);
  return 0;
}

int
dl_rb_resource_service(dl_row_builder *b, const char *s, size_t len)
{
  return intern(b, s, len, &b->res_service);
}

void
dl_rb_span_begin(dl_row_builder *b)
{
  memset(&b->row, 0, sizeof b->row);
  b->version = b->region = b->env = 0;
  if (b->has_kept) {
    memset(b->kept, 0, b->n_kept * sizeof b->kept[0]);
    b->has_kept = 0;
  }
  b->status_code = 0;
  b->error_tag = 0;
  b->http_status = 0;
  b->status_message = b->exception_type = b->error_attr = 0;
  b->mesh_service = b->mesh_version = b->response_flags = 0;
  b->mesh_service_rank = b->mesh_version_rank = b->mesh_marked = 0;
  b->route_len = 0;
}

dl_str
dl_attr_value_text(const dl_attr_value *v, char *buf)
{
  dl_str s = {NULL, 0};
  switch (v->type) {
  case DL_VAL_STRING:
  case DL_VAL_BYTES:
    return v->text;
  case DL_VAL_BOOL:
    s.ptr = v->i ? "true" : "false";
    s.len = v->i ? 4 : 5;
    return s;
  case DL_VAL_INT:
    s.len = (size_t) snprintf(buf, 32, "%" PRId64, v->i);
    s.ptr = buf;
    return s;
  case DL_VAL_DOUBLE: {
    /* The shortest of %.15g and %.17g that reads back the same. */
    int n = snprintf(buf, 32, "%.15g", v->d);
    double back;
    if (sscanf(buf, "%lf", &back) != 1 || back != v->d)
      n = snprintf(buf, 32, "%.17g", v->d);
    s.len = (size_t) n;
    s.ptr = buf;
    return s;
  }
  default:
    return s;
  }
}

/* An HTTP status from an int, a numeric string or a double; 0 if none. */
static int64_t
http_status_of(const dl_attr_value *v)
{
  if (v->type == DL_VAL_INT)
    return v->i;
  if (v->type == DL_VAL_DOUBLE && v->d >= 0 && v->d < 1000)
    return (int64_t) v->d;
  if (v->type == DL_VAL_STRING && v->text.len > 0 && v->text.len <= 3) {
    int64_t n = 0;
    for (size_t i = 0; i < v->text.len; i++) {
      char c = v->text.ptr[i];
      if (c < '0' || c > '9')
        return 0;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return 0;
}

static int
intern_value(dl_row_builder *b, const dl_attr_value *v, uint32_t *id)
{
  char buf[32];
  dl_str t = dl_attr_value_text(v, buf);
  return intern(b, t.ptr, t.len, id);
}

#define KEY_IS(lit) (key_len == sizeof(lit) - 1 && memcmp(key, lit, sizeof(lit) - 1) == 0)

/* ---- the service mesh's attributes ---- */

enum { MESH_SERVICE, MESH_VERSION, MESH_FLAGS };

/* What a mesh proxy's span says of the request, and where it says it:
   Istio's Envoy tags every span with the destination workload's canonical
   service and revision; Linkerd's proxy exports its pod's labels as the
   resource's attributes (linkerd.io/proxy-deployment marks them; a canary
   and its primary are two deployments of one app); Envoy's response_flags
   ("-" when none) mark requests the proxy itself failed (UF upstream
   failure, UH no healthy upstream, NR no route, ...).  A lower rank wins;
   service and version count only where a marking key was seen, as `app'
   and the like are common labels elsewhere. */
static const struct {
  const char *key;
  size_t len;
  int role;
  uint8_t rank;
  uint8_t marks; /* its presence says: a mesh proxy's span */
} mesh_keys[] = {
  {"istio.canonical_service", 23, MESH_SERVICE, 1, 1},
  {"istio.canonical_revision", 24, MESH_VERSION, 1, 0},
  {"app.kubernetes.io/name", 22, MESH_SERVICE, 2, 0},
  {"app", 3, MESH_SERVICE, 3, 0},
  {"linkerd.io/proxy-deployment", 27, MESH_SERVICE, 4, 1},
  {"app.kubernetes.io/version", 25, MESH_VERSION, 2, 0},
  {"response_flags", 14, MESH_FLAGS, 0, 0},
};

static int
mesh_key(const char *key, size_t key_len)
{
  for (size_t i = 0; i < sizeof mesh_keys / sizeof *mesh_keys; i++)
    if (mesh_keys[i].len == key_len && memcmp(mesh_keys[i].key, key, key_len) == 0)
      return (int) i;
  return -1;
}

/* Keeps V in *ID when RANK beats *HAVE (0: nothing yet). */
static int
mesh_keep(dl_row_builder *b, dl_str t, uint8_t rank, uint32_t *id, uint8_t *have)
{
  if (*have && *have <= rank)
    return 0;
  *have = rank;
  return intern(b, t.ptr, t.len, id);
}

static int
mesh_attr(dl_row_builder *b, int res, int k, const dl_attr_value *v)
{
  char buf[32];
  dl_str t = dl_attr_value_text(v, buf);
  if (!t.len)
    return 0;
  if (mesh_keys[k].marks) {
    if (res)
      b->res_mesh_marked = 1;
    else
      b->mesh_marked = 1;
  }
  switch (mesh_keys[k].role) {
  case MESH_SERVICE:
    return res ? mesh_keep(b, t, mesh_keys[k].rank, &b->res_mesh_service, &b->res_mesh_service_rank)
               : mesh_keep(b, t, mesh_keys[k].rank, &b->mesh_service, &b->mesh_service_rank);
  case MESH_VERSION:
    return res ? mesh_keep(b, t, mesh_keys[k].rank, &b->res_mesh_version, &b->res_mesh_version_rank)
               : mesh_keep(b, t, mesh_keys[k].rank, &b->mesh_version, &b->mesh_version_rank);
  default:
    if (res || (t.len == 1 && t.ptr[0] == '-'))
      return 0;
    return intern(b, t.ptr, t.len, &b->response_flags);
  }
}

int
dl_rb_wants(const dl_row_builder *b, int at, const char *key, size_t key_len)
{
  if (at != DL_AT_EVENT && mesh_key(key, key_len) >= 0)
    return 1;
  switch (key_len) {
  case 10:
    if (KEY_IS("http.route") || KEY_IS("error.type") || KEY_IS("error.kind"))
      return 1;
    break;
  case 12:
    if (KEY_IS("service.name") || KEY_IS("cloud.region"))
      return 1;
    break;
  case 14:
    if (KEY_IS("exception.type"))
      return 1;
    break;
  case 15:
    if (KEY_IS("service.version"))
      return 1;
    break;
  case 16:
    if (KEY_IS("http.status_code"))
      return 1;
    break;
  case 22:
    if (KEY_IS("deployment.environment"))
      return 1;
    break;
  case 25:
    if (KEY_IS("http.response.status_code"))
      return 1;
    break;
  case 27:
    if (KEY_IS("deployment.environment.name"))
      return 1;
    break;
  }
  if (at == DL_AT_EVENT)
    return 0;
  for (size_t i = 0; i < b->n_kept; i++)
    if (b->kept_keys[i].len == key_len && memcmp(b->kept_keys[i].ptr, key, key_len) == 0)
      return 1;
  return 0;
}

int
dl_rb_attr(dl_row_builder *b, int at, const char *key, size_t key_len, const dl_attr_value *v)
{
  if (v->type == DL_VAL_NONE)
    return 0;
  if (at == DL_AT_EVENT) {
    if (!b->exception_type && KEY_IS("exception.type")) {
      char buf[32];
      dl_str t = dl_attr_value_text(v, buf);
      return intern(b, t.ptr, t.len, &b->exception_type);
    }
    return 0;
  }
  int res = at == DL_AT_RESOURCE;
  int mk = mesh_key(key, key_len);
  if (mk >= 0 && mesh_attr(b, res, mk, v))
    return -1;
  /* Dispatch on the length first: most keys match none of these. */
  switch (key_len) {
  case 10:
    if (!res && KEY_IS("http.route")) {
      char buf[32];
      dl_str t = dl_attr_value_text(v, buf);
      size_t n = t.len < DL_SB_ROUTE_MAX ? t.len : DL_SB_ROUTE_MAX;
      memcpy(b->route, t.ptr, n);
      b->route_len = n;
    } else if (!res && !b->error_attr && (KEY_IS("error.type") || KEY_IS("error.kind"))) {
      /* The error's class as current instrumentation names it
         (OpenTelemetry's error.type, OpenTracing's error.kind tag). */
      char buf[32];
      dl_str t = dl_attr_value_text(v, buf);
      if (t.len && intern(b, t.ptr, t.len, &b->error_attr))
        return -1;
    }
    break;
  case 12:
    if (KEY_IS("service.name")) {
      if (res && intern_value(b, v, &b->res_service))
        return -1;
    } else if (KEY_IS("cloud.region")) {
      if (intern_value(b, v, res ? &b->res_region : &b->region))
        return -1;
    }
    break;
  case 15:
    if (KEY_IS("service.version") && intern_value(b, v, res ? &b->res_version : &b->version))
      return -1;
    break;
  case 16:
    if (!res && KEY_IS("http.status_code") && !b->http_status)
      b->http_status = http_status_of(v);
    break;
  case 22:
  case 27:
    /* deployment.environment.name wins over the older name. */
    if (KEY_IS("deployment.environment.name") ||
        (KEY_IS("deployment.environment") && !(res ? b->res_env : b->env)))
      if (intern_value(b, v, res ? &b->res_env : &b->env))
        return -1;
    break;
  case 25:
    if (!res && KEY_IS("http.response.status_code"))
      b->http_status = http_status_of(v);
    break;
  case 14:
    /* Some SDKs record exception.type as a span attribute. */
    if (!res && !b->exception_type && KEY_IS("exception.type")) {
      char buf[32];
      dl_str t = dl_attr_value_text(v, buf);
      if (intern(b, t.ptr, t.len, &b->exception_type))
        return -1;
    }
    break;
  }
  for (size_t i = 0; i < b->n_kept; i++) {
    if (b->kept_keys[i].len == key_len && memcmp(b->kept_keys[i].ptr, key, key_len) == 0) {
      if (intern_value(b, v, res ? &b->res_kept[i] : &b->kept[i]))
        return -1;
      if (!res)
        b->has_kept = 1;
      break;
    }
  }
  return 0;
}

int
dl_rb_name(dl_row_builder *b, const char *s, size_t len)
{
  return intern(b, s, len, &b->row.operation);
}

int
dl_rb_status_message(dl_row_builder *b, const char *s, size_t len)
{
  return intern(b, s, len, &b->status_message);
}

int
dl_rb_span_end(dl_row_builder *b, dl_error *err)
{
  dl_span_ids *row = &b->row;
  int http_error = b->http_status >= 500 && b->http_status <= 999;
  int error = b->status_code == 2 || b->error_tag || (row->kind == DL_KIND_SERVER && http_error)
              || b->response_flags;
  row->error = (uint8_t) error;
  row->error_type = 0;
  if (error) {
    if (b->exception_type)
      row->error_type = b->exception_type;
    else if (b->error_attr)
      row->error_type = b->error_attr;
    else if (b->status_message)
      row->error_type = b->status_message;
    else if (b->response_flags) {
      /* Why the proxy failed it (UF, UH, NR) says more than its status. */
      const char *flags = dl_trace_set_string(b->set, b->response_flags);
      char text[64];
      int n = snprintf(text, sizeof text, "response flags %.48s", flags ? flags : "");
      if (intern(b, text, (size_t) n, &row->error_type))
        return dl_fail(err, DL_ENOMEM, "out of memory interning an error type");
    } else if (http_error) {
      char text[16 + DL_SB_ROUTE_MAX];
      int n = snprintf(text, sizeof text, "HTTP %d%s%.*s", (int) b->http_status,
                       b->route_len ? " " : "", (int) b->route_len, b->route);
      if (intern(b, text, (size_t) n, &row->error_type))
        return dl_fail(err, DL_ENOMEM, "out of memory interning an error type");
    }
  }
  /* A mesh proxy's span is the destination's: its service and version. */
  int mesh = b->mesh_marked || b->res_mesh_marked;
  uint32_t mesh_service = !mesh ? 0
                          : b->mesh_service && (!b->res_mesh_service
                                                || b->mesh_service_rank <= b->res_mesh_service_rank)
                            ? b->mesh_service : b->res_mesh_service;
  uint32_t mesh_version = !mesh ? 0
                          : b->mesh_version && (!b->res_mesh_version
                                                || b->mesh_version_rank <= b->res_mesh_version_rank)
                            ? b->mesh_version : b->res_mesh_version;
  uint32_t service = mesh_service ? mesh_service : b->res_service;
  uint32_t version = b->version ? b->version : mesh_version ? mesh_version : b->res_version;
  uint32_t region = b->region ? b->region : b->res_region;
  uint32_t env = b->env ? b->env : b->res_env;
  /* A few origins alternate within a resource (regions, versions). */
  row->origin = 0;
  int hit = 0;
  for (int i = 0; i < 4; i++) {
    const uint32_t *e = b->origin_cache[i];
    if (e[4] && e[0] == service && e[1] == version && e[2] == region && e[3] == env) {
      row->origin = e[4];
      hit = 1;
      break;
    }
  }
  if (!hit) {
    row->origin = dl_trace_set_intern_origin(b->set, service, version, region, env);
    if (!row->origin && (service | version | region | env))
      return dl_fail(err, DL_ENOMEM, "out of memory interning a span origin");
    uint32_t *e = b->origin_cache[b->origin_next++ & 3];
    e[0] = service;
    e[1] = version;
    e[2] = region;
    e[3] = env;
    e[4] = row->origin;
  }
  if (b->n_kept) {
    for (size_t i = 0; i < b->n_kept; i++)
      if (!b->kept[i])
        b->kept[i] = b->res_kept[i];
    b->has_kept = 1;
    row->kept = b->kept;
  } else {
    row->kept = NULL;
  }
  int rc = dl_trace_set_append_ids(b->set, row, err);
  if (rc == DL_OK)
    b->added++;
  return rc;
}

/* ---- ids ---- */

static int
hex_value(unsigned char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Base64 (standard or URL alphabet, padded or not) of exactly N bytes. */
static int
base64_id(const char *s, size_t len, uint8_t *out, size_t n)
{
  while (len && s[len - 1] == '=')
    len--;
  if (len != (n * 8 + 5) / 6)
    return -1;
  return dl_base64_decode(s, len, out, n) == (long) n ? 0 : -1;
}

/* Hex digit values, 255 for anything else. */
static const uint8_t hex_table[256] = {
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255, 255, 255, 255, 255, 255,
  255, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

int
dl_id_from_text(const char *s, size_t len, uint8_t *out, size_t n, int short_ok)
{
  if (len == 0) {
    memset(out, 0, n);
    return 0;
  }
  if (len == 2 * n) {
    /* The common case: exactly 2N digits, decoded in one pass. */
    const unsigned char *u = (const unsigned char *) s;
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
      uint8_t hi = hex_table[u[2 * i]], lo = hex_table[u[2 * i + 1]];
      bad |= hi | lo;
      out[i] = (uint8_t) (hi << 4 | (lo & 0x0f));
    }
    if (!(bad & 0xf0))
      return 0;
  }
  if (len == 2 * n || (short_ok && len < 2 * n)) {
    int all_hex = 1;
    for (size_t i = 0; i < len && all_hex; i++)
      if (hex_value((unsigned char) s[i]) < 0)
        all_hex = 0;
    if (all_hex) {
      /* Right-align: the missing leading digits are zeros. */
      memset(out, 0, n);
      size_t pos = 2 * n - len;
      for (size_t i = 0; i < len; i++, pos++) {
        int v = hex_value((unsigned char) s[i]);
        if (pos % 2 == 0)
          out[pos / 2] = (uint8_t) (v << 4);
        else
          out[pos / 2] |= (uint8_t) v;
      }
      return 0;
    }
  }
  return base64_id(s, len, out, n);
}
