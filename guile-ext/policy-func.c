/* Primitives for the actions of (deploy-ledger policies): running a
   rollback command under a deadline with its output captured, and POSTing
   an alert through the library's one HTTP client.  Both block, so both
   run outside Guile mode: other Scheme threads (an alert being sent while
   a rollback runs) and the collector go on meanwhile. */
#define _GNU_SOURCE
#include "dl-guile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/http.h"

/* ---- a command under a deadline ---- */

typedef struct run {
  char **argv;
  long timeout_ms;
  size_t max_output;
  /* results */
  char *output;      /* malloc'ed, NUL-terminated */
  size_t len;
  int truncated;
  int exec_errno;    /* nonzero: the command could not be run */
  int timed_out;
  int status;        /* waitpid's */
  int fork_errno;
} run;

static long long
monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for PID until DEADLINE (ms); 1 when it ended (STATUS filled). */
static int
wait_until(pid_t pid, int *status, long long deadline)
{
  for (;;) {
    pid_t w = waitpid(pid, status, WNOHANG);
    if (w == pid)
      return 1;
    if (w < 0 && errno != EINTR)
      return 1;
    if (monotonic_ms() >= deadline)
      return 0;
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
  }
}

static void *
run_blocking(void *p)
{
  run *r = p;
  int out[2], report[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(report, O_CLOEXEC)) {
    r->fork_errno = errno;
    return NULL;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) {
    /* The child: its own process group (so that a timeout stops what it
       started too), default signals, output to the pipe, no stdin. */
    setpgid(0, 0);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
      sigaction(s, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
      dup2(null, 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    execvp(r->argv[0], r->argv);
    int e = errno;
    ssize_t w = write(report[1], &e, sizeof e);
    (void) w;
    _exit(127);
  }
  r->fork_errno = pid < 0 ? errno : 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(out[1]);
  close(report[1]);
  if (pid < 0) {
    close(out[0]);
    close(report[0]);
    return NULL;
  }
  ssize_t got;
  do
    got = read(report[0], &r->exec_errno, sizeof r->exec_errno);
  while (got < 0 && errno == EINTR);
  if (got != (ssize_t) sizeof r->exec_errno)
    r->exec_errno = 0;
  close(report[0]);

  long long deadline = monotonic_ms() + r->timeout_ms;
  size_t cap = r->max_output + 1;
  r->output = malloc(cap);
  char sink[4096];
  int open_pipe = 1;
  while (open_pipe) {
    long long left = deadline - monotonic_ms();
    if (left <= 0) {
      r->timed_out = 1;
      break;
    }
    struct pollfd pf = {out[0], POLLIN, 0};
    int n = poll(&pf, 1, (int) (left > 1000 ? 1000 : left));
    if (n < 0 && errno != EINTR)
      break;
    if (n <= 0)
      continue;
    size_t room = r->output && r->len < r->max_output ? r->max_output - r->len : 0;
    ssize_t rd = room ? read(out[0], r->output + r->len, room) : read(out[0], sink, sizeof sink);
    if (rd < 0 && errno == EINTR)
      continue;
    if (rd <= 0) {
      open_pipe = 0;
    } else if (room) {
      r->len += (size_t) rd;
    } else {
      r->truncated = 1;
    }
  }
  close(out[0]);
  if (r->timed_out || !wait_until(pid, &r->status, deadline)) {
    /* Over its time: TERM to its group, KILL two seconds later. */
    r->timed_out = 1;
    kill(-pid, SIGTERM);
    if (!wait_until(pid, &r->status, monotonic_ms() + 2000)) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
        ;
    }
  }
  if (r->output)
    r->output[r->len] = '\0';
  return NULL;
}

static void
free_run_output(void *p)
{
  free(((run *) p)->output);
}

SCM_DEFINE(dl_scm_run_with_deadline, "%run-with-deadline", 3, 0, 0,
           (SCM argv, SCM timeout_ms, SCM max_output),
           "Run ARGV (a list of strings; the first looked up in PATH, no shell) with "
           "stdin from /dev/null, its stdout and stderr captured (the first MAX-OUTPUT "
           "bytes); after TIMEOUT-MS its process group gets SIGTERM, then SIGKILL.  "
           "Returns an alist: status (exited, signaled, timed-out or not-run), code, "
           "output, truncated.")
#define FUNC_NAME s_dl_scm_run_with_deadline
{
  scm_dynwind_begin(0);
  run r;
  memset(&r, 0, sizeof r);
  r.argv = dl_guile_argv(argv, FUNC_NAME);
  r.timeout_ms = scm_to_long(timeout_ms);
  r.max_output = scm_to_size_t(max_output);
  scm_dynwind_unwind_handler(free_run_output, &r, SCM_F_WIND_EXPLICITLY);
  scm_without_guile(run_blocking, &r);
  SCM status, code;
  if (r.fork_errno || r.exec_errno) {
    status = SYM("not-run");
    code = scm_from_int(r.fork_errno ? r.fork_errno : r.exec_errno);
  } else if (r.timed_out) {
    status = SYM("timed-out");
    code = scm_from_int(WIFSIGNALED(r.status) ? WTERMSIG(r.status) : WEXITSTATUS(r.status));
  } else if (WIFSIGNALED(r.status)) {
    status = SYM("signaled");
    code = scm_from_int(WTERMSIG(r.status));
  } else {
    status = SYM("exited");
    code = scm_from_int(WEXITSTATUS(r.status));
  }
  SCM message = r.exec_errno || r.fork_errno
                  ? dl_guile_from_string(strerror(r.fork_errno ? r.fork_errno : r.exec_errno))
                  : SCM_BOOL_F;
  SCM result = scm_list_5(scm_cons(SYM("status"), status), scm_cons(SYM("code"), code),
                          scm_cons(SYM("output"),
                                   dl_guile_from_bytes(r.output ? r.output : "", r.len)),
                          scm_cons(SYM("truncated"), scm_from_bool(r.truncated)),
                          scm_cons(SYM("message"), message));
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

/* ---- an alert ---- */

typedef struct post {
  dl_http *http;
  dl_http_request req;
  dl_http_response resp;
  dl_error err;
  int rc;
} post;

static void *
post_blocking(void *p)
{
  post *q = p;
  q->rc = dl_http_perform(q->http, &q->req, &q->resp, &q->err);
  return NULL;
}

static void
free_http(void *h)
{
  dl_http_free(h);
}

static void
clear_response(void *r)
{
  dl_http_response_clear(r);
}

SCM_DEFINE(dl_scm_http_post, "%http-post", 5, 0, 0,
           (SCM url, SCM body, SCM content_type, SCM headers, SCM deadline_ms),
           "POST BODY (a string) to URL with CONTENT-TYPE and HEADERS (an alist of "
           "strings), through the library's HTTP client: retried on 429, 502-504 and "
           "refused connections, each attempt and all of them within DEADLINE-MS.  "
           "Returns an alist: ok, http-status, attempts, message.")
#define FUNC_NAME s_dl_scm_http_post
{
  scm_dynwind_begin(0);
  long deadline = scm_to_long(deadline_ms);
  dl_http_options o;
  dl_http_options_init(&o);
  o.deadline_ms = deadline;
  o.timeout_ms = deadline;
  o.connect_timeout_ms = deadline < 5000 ? deadline : 5000;
  o.backoff_ms = 200;
  o.max_backoff_ms = 1000;
  o.credentials = "";
  o.max_bytes = 65536;
  post q;
  memset(&q, 0, sizeof q);
  q.http = dl_http_new(&o, NULL, &q.err);
  if (!q.http)
    dl_guile_raise(FUNC_NAME, &q.err);
  scm_dynwind_unwind_handler(free_http, q.http, SCM_F_WIND_EXPLICITLY);
  for (SCM l = headers; scm_is_pair(l); l = scm_cdr(l)) {
    SCM h = scm_car(l);
    if (!scm_is_pair(h) || !scm_is_string(scm_car(h)) || !scm_is_string(scm_cdr(h)))
      scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG4, headers, "alist of strings");
    if (dl_http_add_header(q.http, dl_guile_string(scm_car(h), SCM_ARG4, FUNC_NAME),
                           dl_guile_string(scm_cdr(h), SCM_ARG4, FUNC_NAME), &q.err))
      dl_guile_raise(FUNC_NAME, &q.err);
  }
  size_t len;
  char *text = scm_to_utf8_stringn(body, &len);
  scm_dynwind_free(text);
  q.req.method = "POST";
  q.req.url = dl_guile_string(url, SCM_ARG1, FUNC_NAME);
  q.req.content_type = dl_guile_string(content_type, SCM_ARG3, FUNC_NAME);
  q.req.body = text;
  q.req.len = len;
  scm_dynwind_unwind_handler(clear_response, &q.resp, SCM_F_WIND_EXPLICITLY);
  scm_without_guile(post_blocking, &q);
  SCM result = scm_list_4(scm_cons(SYM("ok"), scm_from_bool(q.rc == DL_OK)),
                          scm_cons(SYM("http-status"), scm_from_long(q.resp.status)),
                          scm_cons(SYM("attempts"), scm_from_int(q.resp.attempts)),
                          scm_cons(SYM("message"), q.rc == DL_OK
                                                     ? SCM_BOOL_F
                                                     : dl_guile_from_string(q.err.text)));
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_policy_fired_prefix, "%policy-fired-prefix", 0, 0, 0, (void),
           "The prefix of the ledger attribute recording that a policy rule fired "
           "(DL_POLICY_FIRED_PREFIX): the deployment span has an event for each.")
#define FUNC_NAME s_dl_scm_policy_fired_prefix
{
  return scm_from_utf8_string(DL_POLICY_FIRED_PREFIX);
}
#undef FUNC_NAME

void
dl_guile_init_policy(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "policy-func.x"
#endif
}
