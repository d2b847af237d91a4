;;; `deploy-ledger migrate': copy the ledger into another, SQLite to
;;; PostgreSQL or back.
(define-module (deploy-ledger cli migrate)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:export (command-migrate))

(define migrate-help "\
Usage: deploy-ledger migrate --to TARGET [--force] [--json] [--db SOURCE]
Copy every deployment of the ledger SOURCE (--db, else $DEPLOY_LEDGER_DB or
the default file) into the ledger TARGET, with its history, trace context,
spooled spans and dead letters, in one transaction of TARGET: all or
nothing.  Either may be an SQLite file or a PostgreSQL URL
(postgresql://USER@HOST:PORT/DB?sslmode=...); TARGET is created when absent.
Into an empty TARGET ids and numbering are kept, so both list, show and
export the same.  A TARGET that holds anything is refused (exit status 5)
unless --force, which adds only the deployments TARGET lacks.  Passwords
come from the URL, PGPASSWORD, ~/.pgpass or PGSERVICE and are never shown.
--json prints the counts as JSON.
")

(define (command-migrate args)
  (with-command
   "migrate" '((to value) (force flag) (json flag)) migrate-help args
   (lambda (o)
     (let ((target (required "migrate" o 'to)))
       (call-with-ledger-of
        o (lambda (from)
            (call-with-ledger
             (lambda (to)
               (let ((counts (copy-ledger from to #:force? (option o 'force))))
                 (if (option o 'json)
                     (print-json (alist->hash counts))
                     (format #t "copied ~a deployment~:p (~a history entr~:@p, ~a spooled, ~a dead letter~:p) from ~a to ~a~a~%"
                             (assq-ref counts 'deployments) (assq-ref counts 'history)
                             (assq-ref counts 'spooled) (assq-ref counts 'dead-letters)
                             (ledger-path from) (ledger-path to)
                             (let ((skipped (assq-ref counts 'skipped)))
                               (if (zero? skipped)
                                   ""
                                   (format #f "; ~a already there, left as they were"
                                           skipped)))))))
             target)))))))
