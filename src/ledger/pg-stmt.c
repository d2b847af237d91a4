/* The PostgreSQL backend's statements and transactions: every query is
   sent asynchronously and waited for with a deadline; a read that finds
   the connection lost connects again and is retried; a write is not (its
   transaction is gone with the connection, and the caller is told). */
#define _GNU_SOURCE
#include "ledger/pg.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* PostgreSQL type oids the ledger binds (pg_type.h is not public). */
enum { OID_BYTEA = 17, OID_INT8 = 20, OID_INT4 = 23, OID_TEXT = 25 };

/* The most parameters a statement of the ledger has (deployments: 17). */
#define MAX_PARAMS 24

typedef struct pg_stmt {
  dl_stmt base;
  char *sql;          /* with $N parameters */
  int is_read;        /* a lone SELECT: safe to run again */
  int n_params;
  Oid types[MAX_PARAMS];
  char *values[MAX_PARAMS];
  int lengths[MAX_PARAMS];
  int formats[MAX_PARAMS];
  PGresult *res;
  int row;            /* current row, -1 before the first */
  long changes;
  int unique;         /* the last run failed on a unique key */
  int oom;            /* a bound value could not be copied */
} pg_stmt;



static int64_t
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
dl_pg_lost(dl_ledger *ledger)
{
  return !PG_OF(ledger)->conn || PQstatus(PG_OF(ledger)->conn) != CONNECTION_OK;
}

/* The first line of libpq's message, without its trailing newline. */
static void
one_line(char *buf, size_t size, const char *msg)
{
  snprintf(buf, size, "%s", msg && *msg ? msg : "unknown error");
  for (char *c = buf; *c; c++)
    if (*c == '\n' || *c == '\t')
      *c = ' ';
  size_t n = strlen(buf);
  while (n && buf[n - 1] == ' ')
    buf[--n] = '\0';
}

int
dl_pg_fail(dl_ledger *ledger, const PGresult *res, const char *what, dl_error *err)
{
  char msg[256];
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  one_line(msg, sizeof msg,
           primary ? primary : PG_OF(ledger)->conn ? PQerrorMessage(PG_OF(ledger)->conn) : NULL);
  if (state && (strcmp(state, "25006") == 0 || strcmp(state, "42501") == 0))
    dl_fail(err, DL_ESTORAGE, "ledger %s is read-only for this user: cannot %s (%s)",
            ledger->path, what, msg);
  else if (state && strcmp(state, "57014") == 0)
    dl_fail(err, DL_ESTORAGE, "ledger %s: cannot %s: the server stopped the query at its "
            "statement_timeout (set it in the URL: ?options=-cstatement_timeout%%3D60s)",
            ledger->path, what);
  else if (dl_pg_lost(ledger))
    dl_fail(err, DL_ESTORAGE, "ledger %s: cannot %s: the connection to the server was lost "
            "(%s)%s", ledger->path, what, msg,
            PG_OF(ledger)->in_transaction ? "; nothing of this event was recorded" : "");
  else
    dl_fail(err, DL_ESTORAGE, "ledger %s: cannot %s: %s", ledger->path, what, msg);
  dl_error_at(err, ledger->path, -1, -1, -1);
  return DL_ESTORAGE;
}

/* Waits until the socket of CONN is ready for EVENTS or DEADLINE (ms of
   now_ms) passes: 1 ready, 0 timed out, -1 failed. */
static int
wait_socket(PGconn *conn, short events, int64_t deadline)
{
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0)
      return 0;
    struct pollfd pfd = {PQsocket(conn), events, 0};
    if (pfd.fd < 0)
      return -1;
    int n = poll(&pfd, 1, left > 1000 ? 1000 : (int) left);
    if (n > 0)
      return 1;
    if (n < 0 && errno != EINTR)
      return -1;
  }
}

/* Gives the connection up after the deadline passed: the server ends
   whatever the session was doing when it sees the socket closed. */
static PGresult *
give_up(dl_ledger *ledger, const char *what, dl_error *err)
{
  dl_pg *pg = PG_OF(ledger);
  PQfinish(pg->conn);
  pg->conn = NULL;
  dl_fail(err, DL_ESTORAGE,
          "ledger %s: cannot %s: no answer from the server within %ld ms "
          "(its statement_timeout plus %ld ms)%s", ledger->path, what,
          pg->statement_timeout_ms + DL_PG_ANSWER_GRACE_MS, DL_PG_ANSWER_GRACE_MS,
          pg->in_transaction ? "; nothing of this event was recorded" : "");
  dl_error_at(err, ledger->path, -1, -1, -1);
  return NULL;
}

PGresult *
dl_pg_wait(dl_ledger *ledger, const char *what, dl_error *err)
{
  dl_pg *pg = PG_OF(ledger);
  pg->sqlstate[0] = '\0';
  int64_t deadline = now_ms() + pg->statement_timeout_ms + DL_PG_ANSWER_GRACE_MS;
  int flushed;
  while ((flushed = PQflush(pg->conn)) == 1)
    if (wait_socket(pg->conn, POLLIN | POLLOUT, deadline) <= 0)
      return give_up(ledger, what, err);
  if (flushed < 0) {
    dl_pg_fail(ledger, NULL, what, err);
    return NULL;
  }
  PGresult *last = NULL, *failed = NULL;
  for (;;) {
    while (PQisBusy(pg->conn)) {
      int ready = wait_socket(pg->conn, POLLIN, deadline);
      if (ready <= 0) {
        PQclear(last);
        PQclear(failed);
        return give_up(ledger, what, err);
      }
      if (!PQconsumeInput(pg->conn))
        break;
    }
    PGresult *r = PQgetResult(pg->conn);
    if (!r)
      break;
    ExecStatusType st = PQresultStatus(r);
    if ((st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) && !failed) {
      failed = r;
      continue;
    }
    PQclear(last);
    last = r;
    if (dl_pg_lost(ledger))
      break;
  }
  const char *state = failed ? PQresultErrorField(failed, PG_DIAG_SQLSTATE) : NULL;
  snprintf(pg->sqlstate, sizeof pg->sqlstate, "%s", state ? state : "");
  if (failed || !last || dl_pg_lost(ledger)) {
    dl_pg_fail(ledger, failed, what, err);
    PQclear(failed);
    PQclear(last);
    return NULL;
  }
  return last;
}

PGresult *
dl_pg_exec_simple(dl_ledger *ledger, const char *sql, const char *what, dl_error *err)
{
  if (dl_pg_lost(ledger) || !PQsendQuery(PG_OF(ledger)->conn, sql)) {
    dl_pg_fail(ledger, NULL, what, err);
    return NULL;
  }
  return dl_pg_wait(ledger, what, err);
}

int
dl_pg_reconnect(dl_ledger *ledger, dl_error *err)
{
  dl_pg *pg = PG_OF(ledger);
  pg->in_transaction = 0;
  if (!pg->conn) /* given up after a deadline: nothing to reset */
    return dl_fail(err, DL_ESTORAGE, "ledger %s: the connection was closed after a timeout; "
                   "open the ledger again", ledger->path);
  PQreset(pg->conn); /* connect_timeout bounds it */
  if (PQstatus(pg->conn) != CONNECTION_OK)
    return dl_pg_fail(ledger, NULL, "connect again", err);
  return dl_pg_session_setup(ledger, err);
}

/* Runs SQL alone (BEGIN, COMMIT, ...). */
static int
run_command(dl_ledger *ledger, const char *sql, const char *what, dl_error *err)
{
  PGresult *r = dl_pg_exec_simple(ledger, sql, what, err);
  PQclear(r);
  return r ? DL_OK : DL_ESTORAGE;
}

static int
pg_begin(dl_ledger *ledger, dl_error *err)
{
  /* Nothing is written yet: a connection lost since the last statement
     (a restarted server) can be made again first. */
  int rc = dl_pg_lost(ledger) ? dl_pg_reconnect(ledger, err) : DL_OK;
  if (!rc)
    rc = run_command(ledger, "BEGIN", "begin a transaction", err);
  PG_OF(ledger)->in_transaction = !rc;
  return rc;
}

static int
pg_begin_read(dl_ledger *ledger, dl_error *err)
{
  int rc = dl_pg_lost(ledger) ? dl_pg_reconnect(ledger, err) : DL_OK;
  if (!rc)
    rc = run_command(ledger, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                     "begin a transaction", err);
  PG_OF(ledger)->in_transaction = !rc;
  return rc;
}

static void
pg_rollback(dl_ledger *ledger)
{
  dl_pg *pg = PG_OF(ledger);
  if (pg->in_transaction && !dl_pg_lost(ledger)) {
    PGresult *r = dl_pg_exec_simple(ledger, "ROLLBACK", "roll back", NULL);
    PQclear(r);
  }
  pg->in_transaction = 0;
}

static int
pg_commit(dl_ledger *ledger, dl_error *err)
{
  dl_pg *pg = PG_OF(ledger);
  PGresult *r = dl_pg_exec_simple(ledger, "COMMIT", "commit", err);
  int rc = DL_OK;
  if (!r && dl_pg_lost(ledger)) {
    /* The server may have committed before the connection went. */
    rc = dl_fail(err, DL_ESTORAGE,
                 "ledger %s: the connection to the server was lost while committing: the "
                 "event was recorded whole or not at all; look with `deploy-ledger history' "
                 "before recording it again", ledger->path);
  } else if (!r) {
    rc = DL_ESTORAGE;
  } else if (PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
    /* COMMIT of a failed transaction answers ROLLBACK. */
    rc = dl_fail(err, DL_ESTORAGE, "ledger %s: the transaction was rolled back", ledger->path);
  }
  PQclear(r);
  pg->in_transaction = 0;
  if (rc)
    pg_rollback(ledger);
  return rc;
}

static int
pg_lock_deployment(dl_ledger *ledger, const char *id, dl_error *err)
{
  dl_stmt *s;
  int rc = dl_ledger_prepare(ledger, "SELECT id FROM deployments WHERE id = ?1 FOR UPDATE", &s,
                             err);
  if (rc)
    return rc;
  dl_stmt_text_bind(s, 1, id);
  rc = dl_stmt_run(s, err);
  dl_stmt_finalize(s);
  return rc;
}

static int
pg_after_copy(dl_ledger *ledger, dl_error *err)
{
  return run_command(ledger,
                     "SELECT setval(pg_get_serial_sequence('history', 'seq'),"
                     " coalesce((SELECT max(seq) FROM history), 0) + 1, false);"
                     "SELECT setval(pg_get_serial_sequence('spool', 'id'),"
                     " greatest(coalesce((SELECT max(id) FROM spool), 0),"
                     "          coalesce((SELECT max(id) FROM dead_letter), 0)) + 1, false)",
                     "continue the id sequences after a copy", err);
}

static void
pg_close(dl_ledger *ledger)
{
  dl_pg *pg = PG_OF(ledger);
  if (pg->conn)
    PQfinish(pg->conn);
  free(pg);
  ledger->conn = NULL;
}

/* ?N becomes $N; quoted text is left alone. */
static char *
rewrite_parameters(const char *sql)
{
  char *out = malloc(strlen(sql) + 1), *p = out;
  if (!out)
    return NULL;
  char quote = 0;
  for (const char *c = sql; *c; c++) {
    if (quote) {
      if (*c == quote)
        quote = 0;
    } else if (*c == '\'' || *c == '"') {
      quote = *c;
    } else if (*c == '?' && isdigit((unsigned char) c[1])) {
      *p++ = '$';
      continue;
    }
    *p++ = *c;
  }
  *p = '\0';
  return out;
}

static int
pg_prepare(dl_ledger *ledger, const char *sql, dl_stmt **out, dl_error *err)
{
  *out = NULL;
  pg_stmt *s = calloc(1, sizeof *s);
  if (!s || !(s->sql = rewrite_parameters(sql))) {
    free(s);
    return dl_fail(err, DL_ENOMEM, "out of memory preparing a query");
  }
  s->base.ledger = ledger;
  s->row = -1;
  while (isspace((unsigned char) *sql))
    sql++;
  s->is_read = strncasecmp(sql, "SELECT", 6) == 0 && !strstr(sql, "FOR UPDATE")
               && !strchr(sql, ';');
  *out = &s->base;
  return DL_OK;
}

/* Sets parameter COL; VALUE is NULL for SQL NULL, or when WANTED (a
   value was given) and copying it failed. */
static void
set_param(dl_stmt *st, int col, Oid type, char *value, int wanted, int length, int format)
{
  pg_stmt *s = (pg_stmt *) st;
  if (wanted && !value)
    s->oom = 1;
  if (col < 1 || col > MAX_PARAMS) {
    free(value);
    return;
  }
  int i = col - 1;
  free(s->values[i]);
  s->types[i] = type;
  s->values[i] = value;
  s->lengths[i] = length;
  s->formats[i] = format;
  if (col > s->n_params) {
    for (int j = s->n_params; j < i; j++)
      s->types[j] = 0;
    s->n_params = col;
  }
}

static void
bind_text(dl_stmt *s, int col, const char *text)
{
  set_param(s, col, OID_TEXT, text ? strdup(text) : NULL, text != NULL, 0, 0);
}

static void
bind_int(dl_stmt *s, int col, int v)
{
  char buf[16];
  snprintf(buf, sizeof buf, "%d", v);
  set_param(s, col, OID_INT4, strdup(buf), 1, 0, 0);
}

static void
bind_int64(dl_stmt *s, int col, int64_t v)
{
  char buf[24];
  snprintf(buf, sizeof buf, "%lld", (long long) v);
  set_param(s, col, OID_INT8, strdup(buf), 1, 0, 0);
}

static void
bind_null_int64(dl_stmt *s, int col)
{
  set_param(s, col, OID_INT8, NULL, 0, 0, 0);
}

static void
bind_blob(dl_stmt *s, int col, const void *p, size_t n)
{
  char *copy = malloc(n ? n : 1);
  if (copy && n)
    memcpy(copy, p, n);
  set_param(s, col, OID_BYTEA, copy, 1, (int) n, 1);
}

/* Sends S and waits for its result. */
static PGresult *
run_once(pg_stmt *s, dl_error *err)
{
  dl_ledger *ledger = s->base.ledger;
  if (dl_pg_lost(ledger)
      || !PQsendQueryParams(PG_OF(ledger)->conn, s->sql, s->n_params, s->types,
                            (const char *const *) s->values, s->lengths, s->formats, 1)) {
    dl_pg_fail(ledger, NULL, "run a query", err);
    return NULL;
  }
  return dl_pg_wait(ledger, "run a query", err);
}

static int
execute(pg_stmt *s, dl_error *err)
{
  dl_ledger *ledger = s->base.ledger;
  if (s->oom)
    return dl_fail(err, DL_ENOMEM, "out of memory binding a query");
  s->unique = 0;
  PGresult *r = run_once(s, err);
  /* A lone SELECT outside a transaction changes nothing: when the server
     went away (a restart, a failover) it is run again on a new
     connection, twice at most. */
  for (int tries = 0; !r && s->is_read && !PG_OF(ledger)->in_transaction && tries < 2; tries++) {
    if (!PG_OF(ledger)->conn || !dl_pg_lost(ledger))
      break;
    struct timespec pause = {0, 200000000L * (tries + 1)};
    nanosleep(&pause, NULL);
    if (dl_pg_reconnect(ledger, err) == DL_OK)
      r = run_once(s, err);
  }
  if (!r) {
    s->unique = strcmp(PG_OF(ledger)->sqlstate, "23505") == 0;
    return DL_ESTORAGE;
  }
  s->res = r;
  s->row = -1;
  const char *tuples = PQcmdTuples(r);
  s->changes = tuples && *tuples ? atol(tuples) : 0;
  return DL_OK;
}

static int
step(dl_stmt *st, int *row, dl_error *err)
{
  pg_stmt *s = (pg_stmt *) st;
  *row = 0;
  if (!s->res) {
    int rc = execute(s, err);
    if (rc)
      return rc;
  }
  if (PQresultStatus(s->res) != PGRES_TUPLES_OK)
    return DL_OK;
  if (s->row + 1 < PQntuples(s->res)) {
    s->row++;
    *row = 1;
  } else {
    s->row = PQntuples(s->res);
  }
  return DL_OK;
}

static void
reset(dl_stmt *st)
{
  pg_stmt *s = (pg_stmt *) st;
  PQclear(s->res);
  s->res = NULL;
  s->row = -1;
}

static int
is_null(dl_stmt *st, int col)
{
  pg_stmt *s = (pg_stmt *) st;
  return PQgetisnull(s->res, s->row, col);
}

static const char *
text(dl_stmt *st, int col)
{
  pg_stmt *s = (pg_stmt *) st;
  return PQgetisnull(s->res, s->row, col) ? NULL : PQgetvalue(s->res, s->row, col);
}

/* Results come in binary: integers are big-endian, of their own size. */
static int64_t
int64(dl_stmt *st, int col)
{
  pg_stmt *s = (pg_stmt *) st;
  if (PQgetisnull(s->res, s->row, col))
    return 0;
  const unsigned char *p = (const unsigned char *) PQgetvalue(s->res, s->row, col);
  int len = PQgetlength(s->res, s->row, col);
  uint64_t v = 0;
  for (int i = 0; i < len && i < 8; i++)
    v = v << 8 | p[i];
  if (len == 4)
    return (int32_t) (uint32_t) v;
  if (len == 2)
    return (int16_t) (uint16_t) v;
  return (int64_t) v;
}

static const void *
blob(dl_stmt *st, int col, size_t *size)
{
  pg_stmt *s = (pg_stmt *) st;
  *size = (size_t) PQgetlength(s->res, s->row, col);
  return PQgetvalue(s->res, s->row, col);
}

static long
changes(dl_stmt *st)
{
  return ((pg_stmt *) st)->changes;
}

static int
unique_violation(dl_stmt *st)
{
  return ((pg_stmt *) st)->unique;
}

static void
finalize(dl_stmt *st)
{
  pg_stmt *s = (pg_stmt *) st;
  PQclear(s->res);
  for (int i = 0; i < s->n_params; i++)
    free(s->values[i]);
  free(s->sql);
  free(s);
}

const dl_ledger_backend dl_pg_backend = {
  .name = "postgresql",
  .prepare = pg_prepare,
  .begin = pg_begin,
  .commit = pg_commit,
  .begin_read = pg_begin_read,
  .rollback = pg_rollback,
  .lock_deployment = pg_lock_deployment,
  .claim_lock_clause = " FOR UPDATE SKIP LOCKED",
  .after_copy = pg_after_copy,
  .close = pg_close,
  .bind_text = bind_text,
  .bind_int = bind_int,
  .bind_int64 = bind_int64,
  .bind_null_int64 = bind_null_int64,
  .bind_blob = bind_blob,
  .step = step,
  .reset = reset,
  .is_null = is_null,
  .text = text,
  .int64 = int64,
  .blob = blob,
  .changes = changes,
  .unique_violation = unique_violation,
  .finalize = finalize,
};
