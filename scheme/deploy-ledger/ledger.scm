;;; The ledger: every deployment and its history, in one SQLite file or
;;; in a PostgreSQL database.
(define-module (deploy-ledger ledger)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 match)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger core types)
  #:export (open-ledger
            close-ledger
            call-with-ledger
            ledger?
            ledger-open?
            ledger-path
            ledger-backend
            copy-ledger
            record-deployment!
            update-deployment-status!
            set-deployment-attribute!
            record-stage!
            find-deployment
            last-succeeded-version
            deployments
            deployment-history
            dora-metrics
            spool-entries)
  #:re-export (deployment-event->c))

(define* (open-ledger #:optional path #:key (create? #t))
  "Open the ledger at PATH, creating it (and its directory) when absent.
Without PATH: @env{DEPLOY_LEDGER_DB}, else
@file{$XDG_DATA_HOME/deploy-ledger/ledger.db}, else
@file{~/.local/share/deploy-ledger/ledger.db}.  A PATH that begins
@code{postgresql://} or @code{postgres://} is a PostgreSQL database, its
ledger in the schema @code{deploy_ledger} (created there when absent); the
password comes from the URL, @env{PGPASSWORD}, @file{~/.pgpass} or a
@env{PGSERVICE}, and is never shown.  A file that is not a ledger
is refused and left untouched.  With @code{#:create? #f}, as whatever only
reads a ledger should, a missing file or directory (or an empty file) is a
@code{storage} error naming the path, and nothing is created."
  (%ledger-open path create?))

(define (close-ledger ledger)
  "Close LEDGER.  Closing it twice, or using it after, raises an error."
  (%ledger-close ledger))

(define* (call-with-ledger proc #:optional path #:key (create? #t))
  "Call PROC with the ledger at PATH open, and close it however PROC exits.
CREATE? is that of @code{open-ledger}."
  (let ((ledger (open-ledger path #:create? create?)))
    (dynamic-wind
      (const #t)
      (lambda () (proc ledger))
      (lambda () (when (%ledger-open? ledger) (close-ledger ledger))))))

(define (ledger? obj)
  "True when OBJ is a ledger, open or closed."
  (%ledger? obj))

(define (ledger-open? ledger)
  "True until LEDGER is closed."
  (%ledger-open? ledger))

(define (ledger-path ledger)
  "The file of LEDGER, or its PostgreSQL URL with any password replaced
by @code{***}."
  (%ledger-path ledger))

(define (ledger-backend ledger)
  "Where LEDGER is kept: @code{sqlite} or @code{postgresql}."
  (%ledger-backend ledger))

(define* (copy-ledger from to #:key force?)
  "Copy every deployment of the ledger FROM, with its history, trace
context, spooled spans and dead letters, into the ledger TO, in one
transaction of TO: all or nothing.  Into an empty TO ids and numbering
are kept.  A TO that holds anything raises a @code{storage} error unless
FORCE?, with which only the deployments TO lacks are added.  Returns an
alist of counts: @code{deployments}, @code{skipped}, @code{history},
@code{spooled}, @code{dead-letters}."
  (%ledger-copy from to force?))

(define (deployment-id x)
  (if (deployment-event? x) (deployment-event-id x) x))

(define (status-name status)
  (if (symbol? status) (symbol->string status) status))

(define* (record-deployment! ledger deployment #:key (spool '()))
  "Record DEPLOYMENT (a deployment event) in LEDGER, with its trace context,
in one transaction.  Without a previous version, it gets the last
succeeded version of its service and environment started before it (see
@code{last-succeeded-version}).  SPOOL payloads (see @code{(deploy-ledger export)}) go
to the export spool in the same transaction.  Returns the deployment as
recorded."
  (alist->deployment-event
   (%ledger-record ledger (deployment-event->c deployment) spool)))

(define* (update-deployment-status! ledger deployment status
                                    #:key at actor reason (spool '()))
  "Move DEPLOYMENT (an event or an id, full or a unique prefix) to STATUS
(a symbol) at AT (nanoseconds or RFC 3339; now by default), noting ACTOR
and REASON.  A transition the lifecycle forbids raises an
@code{invalid-transition} error naming both states.  Returns the new
state."
  (alist->deployment-event
   (%ledger-transition ledger (deployment-id deployment) (status-name status)
                       (->ns at 'at) actor reason spool)))

(define* (set-deployment-attribute! ledger deployment key value #:key at actor)
  "Append an attribute change KEY=VALUE to DEPLOYMENT's history."
  (%ledger-set-attribute ledger (deployment-id deployment) key value (->ns at 'at) actor))

(define* (record-stage! ledger deployment name status #:key at (spool '()))
  "Append a region or stage event: NAME (e.g. a region) reached STATUS."
  (%ledger-stage ledger (deployment-id deployment) name (status-name status) (->ns at 'at)
                 spool))

(define (find-deployment ledger id)
  "The deployment with ID (full or a unique prefix) as it is now, or #f.
A prefix matching several deployments raises an @code{ambiguous} error."
  (let ((a (%ledger-find ledger id)))
    (and a (alist->deployment-event a))))

(define* (last-succeeded-version ledger service environment #:key before)
  "The version of the newest deployment of SERVICE in ENVIRONMENT that is
now succeeded (and started before BEFORE, nanoseconds or RFC 3339, when
given), or #f: the version a new deployment replaces.
@code{record-deployment!} fills a missing previous version with it."
  (%ledger-last-succeeded-version ledger service environment (->ns before 'before)))

(define* (deployments ledger #:key service environment status since until
                      limit latest?)
  "Deployments of LEDGER, newest first, filtered by SERVICE, ENVIRONMENT,
STATUS (a symbol), start time in [SINCE, UNTIL) (nanoseconds or RFC 3339)
and LIMIT; with LATEST?, only the newest of each service and environment."
  (map alist->deployment-event
       (%ledger-query ledger service environment (and status (status-name status))
                      (->ns since 'since) (->ns until 'until) limit latest?)))

(define (deployment-history ledger deployment)
  "The history of DEPLOYMENT, oldest first: alists with @code{seq},
@code{at} (ns), @code{kind} (@code{created}, @code{status},
@code{attribute}, @code{stage}), @code{status}, @code{actor},
@code{reason}, @code{key} and @code{value}."
  (%ledger-history ledger (deployment-id deployment)))

(define* (dora-metrics ledger #:key service environment since until)
  "DORA figures per service and environment over [SINCE, UNTIL) (default:
the last 30 days): deployment count and frequency per day, change failure
rate, median time to restore and median lead time for changes (ns)."
  (%ledger-dora ledger service environment (->ns since 'since) (->ns until 'until)))

(define* (spool-entries ledger #:key dead?)
  "Spans waiting in LEDGER's export spool, or with DEAD?, the dead letters."
  (%ledger-spool ledger dead?))
