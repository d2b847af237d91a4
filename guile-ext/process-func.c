/* Running a command for `deploy-ledger exec': fork, execvp (no shell), the
   deployment's context in the child's environment, signals forwarded to
   the child, and how it ended.

   This is C rather than Scheme because the wait must not depend on when
   Guile runs its signal handlers: a handler written in Scheme runs only
   at a safe point of the main thread, which a thread blocked in waitpid
   never reaches, so a SIGTERM from the CI runner would wait for the child
   instead of reaching it.  Here the handler forwards at once, from
   whichever thread the kernel picks. */
#define _GNU_SOURCE
#include "dl-guile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What a CI runner or a person sends to stop or steer a job. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define N_FORWARDED (sizeof forwarded / sizeof forwarded[0])

static volatile sig_atomic_t child_pid;      /* 0 before the fork and after the wait */
static volatile sig_atomic_t early_signal;   /* one that came before the child existed */

static void
forward_signal(int sig, siginfo_t *info, void *context)
{
  (void) context;
  /* The terminal (SI_KERNEL) signals the whole foreground process group,
     the child included: forwarding would deliver it twice. */
  if (info && info->si_code == SI_KERNEL)
    return;
  int saved = errno;
  if (child_pid > 0)
    kill((pid_t) child_pid, sig);
  else
    early_signal = sig;
  errno = saved;
}

/* NAME=VALUE entries of ENV (an alist of strings) and of environ, those of
   ENV replacing environ's of the same name.  Strings are freed with the
   current dynwind. */
static char **
child_environment(SCM env, const char *who)
{
  size_t n_env = 0, n_own = (size_t) scm_ilength(env);
  while (environ[n_env])
    n_env++;
  char **out = scm_gc_malloc((n_env + n_own + 1) * sizeof *out, "environment");
  char **names = scm_gc_malloc((n_own + 1) * sizeof *names, "environment");
  size_t k = 0, i = 0;
  for (SCM l = env; scm_is_pair(l); l = scm_cdr(l), i++) {
    SCM pair = scm_car(l);
    if (!scm_is_pair(pair))
      scm_wrong_type_arg_msg(who, SCM_ARG2, env, "alist of (name . value) strings");
    names[i] = dl_guile_string(scm_car(pair), SCM_ARG2, who);
    char *value = dl_guile_string(scm_cdr(pair), SCM_ARG2, who);
    if (!*names[i] || strchr(names[i], '='))
      dl_guile_raise_code(who, DL_EINVAL, "an environment variable name must be non-empty "
                          "and without '='");
    char *entry = scm_gc_malloc_pointerless(strlen(names[i]) + strlen(value) + 2, "environment");
    strcpy(entry, names[i]);
    strcat(entry, "=");
    strcat(entry, value);
    out[k++] = entry;
  }
  for (size_t e = 0; e < n_env; e++) {
    int replaced = 0;
    for (size_t j = 0; j < i && !replaced; j++) {
      size_t len = strlen(names[j]);
      replaced = strncmp(environ[e], names[j], len) == 0 && environ[e][len] == '=';
    }
    if (!replaced)
      out[k++] = environ[e];
  }
  out[k] = NULL;
  return out;
}

char **
dl_guile_argv(SCM argv, const char *who)
{
  long n = scm_ilength(argv);
  if (n < 1)
    scm_wrong_type_arg_msg(who, SCM_ARG1, argv, "non-empty list of strings");
  char **out = scm_gc_malloc(((size_t) n + 1) * sizeof *out, "arguments");
  long i = 0;
  for (SCM l = argv; scm_is_pair(l); l = scm_cdr(l))
    out[i++] = dl_guile_string(scm_car(l), SCM_ARG1, who);
  out[i] = NULL;
  return out;
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void
exec_child(char **argv, char **envp, const sigset_t *mask, int report_fd)
{
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (size_t i = 0; i < N_FORWARDED; i++)
    sigaction(forwarded[i], &dfl, NULL);
  pthread_sigmask(SIG_SETMASK, mask, NULL);
  execvpe(argv[0], argv, envp);
  int e = errno;
  ssize_t w = write(report_fd, &e, sizeof e);
  (void) w;
  _exit(e == ENOENT ? 127 : 126);
}

SCM_DEFINE(dl_scm_run_command, "%run-command", 2, 0, 0, (SCM argv, SCM env),
           "Run ARGV (a list of strings; the first is looked up in PATH, no shell) with "
           "ENV, an alist of (name . value), added to the environment; forward SIGINT, "
           "SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it while it runs; return "
           "(exited CODE), (signaled SIGNAL NAME) or (not-run CODE MESSAGE).")
#define FUNC_NAME s_dl_scm_run_command
{
  scm_dynwind_begin(0);
  char **args = dl_guile_argv(argv, FUNC_NAME);
  char **envp = child_environment(env, FUNC_NAME);

  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0)
    dl_guile_raise_code(FUNC_NAME, DL_EIO, "cannot create a pipe to run the command");

  /* Handlers first, with the signals blocked in this thread until the
     child's pid is known: a SIGTERM arriving now reaches the child
     rather than ending deploy-ledger with the deployment unfinished. */
  sigset_t block, old_mask;
  sigemptyset(&block);
  for (size_t i = 0; i < N_FORWARDED; i++)
    sigaddset(&block, forwarded[i]);
  pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  struct sigaction handler, old[N_FORWARDED];
  memset(&handler, 0, sizeof handler);
  handler.sa_sigaction = forward_signal;
  handler.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&handler.sa_mask);
  child_pid = 0;
  early_signal = 0;
  for (size_t i = 0; i < N_FORWARDED; i++)
    sigaction(forwarded[i], &handler, &old[i]);

  pid_t pid = fork();
  if (pid == 0)
    exec_child(args, envp, &old_mask, report[1]);
  int fork_errno = errno;
  close(report[1]);
  if (pid > 0) {
    child_pid = pid;
    if (early_signal)
      kill(pid, early_signal);
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, NULL);

  int exec_errno = 0, status = 0;
  if (pid > 0) {
    ssize_t got;
    do
      got = read(report[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    if (got != (ssize_t) sizeof exec_errno)
      exec_errno = 0; /* end of file: the exec succeeded */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
  }
  close(report[0]);
  child_pid = 0;
  for (size_t i = 0; i < N_FORWARDED; i++)
    sigaction(forwarded[i], &old[i], NULL);

  if (pid < 0) {
    dl_error err;
    dl_fail(&err, DL_EIO, "cannot start %s: %s", args[0], strerror(fork_errno));
    dl_guile_raise(FUNC_NAME, &err);
  }
  SCM result;
  if (exec_errno)
    result = scm_list_3(SYM("not-run"), scm_from_int(exec_errno == ENOENT ? 127 : 126),
                        scm_from_locale_string(strerror(exec_errno)));
  else if (WIFSIGNALED(status)) {
    const char *name = sigabbrev_np(WTERMSIG(status));
    result = scm_list_3(SYM("signaled"), scm_from_int(WTERMSIG(status)),
                        name ? scm_from_latin1_string(name) : SCM_BOOL_F);
  } else
    result = scm_list_2(SYM("exited"), scm_from_int(WEXITSTATUS(status)));
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

void
dl_guile_init_process(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "process-func.x"
#endif
}
