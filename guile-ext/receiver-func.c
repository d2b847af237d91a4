/* Primitives for the embedded OTLP receiver: a foreign object holding a
   running dl_receiver, its statistics, snapshots of its window as trace
   sets.  (deploy-ledger receiver) wraps them. */
#include "dl-guile.h"

#include <stdlib.h>
#include <string.h>

static SCM receiver_type;

static void
finalize_receiver(SCM obj)
{
  dl_receiver *r = scm_foreign_object_ref(obj, 0);
  scm_foreign_object_set_x(obj, 0, NULL);
  dl_receiver_stop(r);
}

static void
stop_unowned_receiver(void *r)
{
  dl_receiver_stop(r);
}

static dl_receiver *
receiver_ref(SCM obj, const char *who)
{
  scm_assert_foreign_object_type(receiver_type, obj);
  dl_receiver *r = scm_foreign_object_ref(obj, 0);
  if (!r)
    dl_guile_raise_code(who, DL_ECLOSED, "the receiver was stopped");
  return r;
}

/* The value of KEY in SETTINGS as a size_t, or 0 when absent or #f. */
static size_t
size_setting(SCM settings, const char *key, const char *who)
{
  SCM v = dl_guile_ref(settings, key);
  if (scm_is_false(v))
    return 0;
  if (!scm_is_unsigned_integer(v, 0, SIZE_MAX))
    scm_wrong_type_arg_msg(who, SCM_ARG1, v, key);
  return scm_to_size_t(v);
}

SCM_DEFINE(dl_scm_receiver_start, "%receiver-start", 1, 0, 0, (SCM settings),
           "Start a receiver with SETTINGS, an alist of listen (\"ADDR:PORT\"), window "
           "(ns), max-memory, max-request, max-decompressed, max-queue (bytes), "
           "max-connections, threads, idle-timeout, request-timeout (s) and token "
           "(a string); absent or #f: the default.")
#define FUNC_NAME s_dl_scm_receiver_start
{
  scm_dynwind_begin(0);
  dl_receiver_options o;
  dl_receiver_options_init(&o);
  o.listen = dl_guile_string_or_null(dl_guile_ref(settings, "listen"), SCM_ARG1, FUNC_NAME);
  o.token = dl_guile_string_or_null(dl_guile_ref(settings, "token"), SCM_ARG1, FUNC_NAME);
  SCM window = dl_guile_ref(settings, "window");
  if (scm_is_true(window))
    o.window = dl_guile_to_ns(window, SCM_ARG1, FUNC_NAME);
  o.max_memory = size_setting(settings, "max-memory", FUNC_NAME);
  o.max_request = size_setting(settings, "max-request", FUNC_NAME);
  o.max_decompressed = size_setting(settings, "max-decompressed", FUNC_NAME);
  o.max_queue = size_setting(settings, "max-queue", FUNC_NAME);
  o.max_connections = (unsigned) size_setting(settings, "max-connections", FUNC_NAME);
  o.threads = (unsigned) size_setting(settings, "threads", FUNC_NAME);
  o.idle_timeout = (unsigned) size_setting(settings, "idle-timeout", FUNC_NAME);
  o.request_timeout = (unsigned) size_setting(settings, "request-timeout", FUNC_NAME);
  dl_receiver *r;
  dl_error err;
  if (dl_receiver_start(&o, &r, &err))
    dl_guile_raise(FUNC_NAME, &err);
  /* Stopped here only if making its Scheme object fails. */
  scm_dynwind_unwind_handler(stop_unowned_receiver, r, 0);
  SCM obj = scm_make_foreign_object_1(receiver_type, r);
  scm_dynwind_end();
  return obj;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_receiver_port, "%receiver-port", 1, 0, 0, (SCM receiver),
           "The port RECEIVER listens on.")
#define FUNC_NAME s_dl_scm_receiver_port
{
  return scm_from_int(dl_receiver_port(receiver_ref(receiver, FUNC_NAME)));
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_receiver_stats, "%receiver-stats", 1, 0, 0, (SCM receiver),
           "RECEIVER's counters and the state of its window, as an alist.")
#define FUNC_NAME s_dl_scm_receiver_stats
{
  dl_receiver_stats s;
  dl_receiver_stats_get(receiver_ref(receiver, FUNC_NAME), &s);
#define FIELD(name, v) scm_cons(SYM(name), scm_from_uint64(v))
  return scm_list_n(FIELD("requests", s.requests), FIELD("requests-ok", s.requests_ok),
                    FIELD("bad-requests", s.bad_requests), FIELD("too-large", s.too_large),
                    FIELD("unsupported", s.unsupported), FIELD("unauthorized", s.unauthorized),
                    FIELD("busy", s.busy), FIELD("timed-out", s.timed_out),
                    FIELD("spans-accepted", s.spans_accepted),
                    FIELD("spans-rejected", s.spans_rejected),
                    FIELD("spans-expired", s.spans_expired),
                    FIELD("spans-dropped", s.spans_dropped), FIELD("spans-held", s.spans_held),
                    FIELD("segments", s.segments), FIELD("memory", s.memory),
                    FIELD("queued", s.queued), SCM_UNDEFINED);
#undef FIELD
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_receiver_snapshot, "%receiver-snapshot", 3, 0, 0,
           (SCM receiver, SCM since, SCM service),
           "A new trace set of the spans in RECEIVER's window that start at or after "
           "SINCE (ns, or #f: the whole window), of SERVICE (a string, or #f: all).")
#define FUNC_NAME s_dl_scm_receiver_snapshot
{
  dl_receiver *r = receiver_ref(receiver, FUNC_NAME);
  scm_dynwind_begin(0);
  int64_t from = scm_is_false(since) ? DL_TIME_NONE : dl_guile_to_ns(since, SCM_ARG2, FUNC_NAME);
  char *svc = dl_guile_string_or_null(service, SCM_ARG3, FUNC_NAME);
  dl_trace_set *set;
  dl_error err;
  if (dl_receiver_snapshot(r, from, svc, &set, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return dl_guile_traces_wrap(set);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_receiver_stop, "%receiver-stop", 1, 0, 0, (SCM receiver),
           "Stop RECEIVER and free its window; stopping twice is harmless.")
#define FUNC_NAME s_dl_scm_receiver_stop
{
  scm_assert_foreign_object_type(receiver_type, receiver);
  dl_receiver *r = scm_foreign_object_ref(receiver, 0);
  scm_foreign_object_set_x(receiver, 0, NULL);
  dl_receiver_stop(r);
  return SCM_UNSPECIFIED;
}
#undef FUNC_NAME

void
dl_guile_init_receiver(void)
{
  receiver_type = scm_make_foreign_object_type(SYM("otlp-receiver"), scm_list_1(SYM("handle")),
                                               finalize_receiver);
#ifndef SCM_MAGIC_SNARFER
#include "receiver-func.x"
#endif
}
