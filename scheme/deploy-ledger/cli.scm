;;; The `deploy-ledger' command: dispatch to subcommands, errors to exit
;;; statuses.
(define-module (deploy-ledger cli)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 exceptions)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger config)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger cli options)
  #:export (run-cli
            %subcommands))

;; Each subcommand: name, the module that implements it, its procedure
;; (called with the arguments after the name, returning an exit status),
;; and a summary.  Modules load only when their subcommand runs, which
;; keeps the command quick to start.  Later work adds lines here.
(define %subcommands
  '(("start" (deploy-ledger cli record) command-start "record a deployment that starts now (or --at)")
    ("begin" (deploy-ledger cli record) command-begin "start a pending deployment")
    ("finish" (deploy-ledger cli record) command-finish "record how a deployment ended")
    ("stage" (deploy-ledger cli record) command-stage "record a region or stage of a deployment")
    ("exec" (deploy-ledger cli exec) command-exec
     "run a command as a deployment, finished by its exit status")
    ("status" (deploy-ledger cli query) command-status "print a deployment's status")
    ("list" (deploy-ledger cli query) command-list "list deployments, newest first")
    ("show" (deploy-ledger cli query) command-show "show one deployment")
    ("history" (deploy-ledger cli query) command-history "show a deployment's history")
    ("dora" (deploy-ledger cli dora) command-dora "DORA figures per service and environment")
    ("flush" (deploy-ledger cli export) command-flush "send the spans waiting in the export spool")
    ("spool" (deploy-ledger cli export) command-spool
     "list the spans waiting or the dead letters; requeue or purge dead letters")
    ("migrate" (deploy-ledger cli migrate) command-migrate
     "copy the ledger to another (SQLite to PostgreSQL, or back)")
    ("correlate" (deploy-ledger cli correlate) command-correlate
     "did the deployment make latency, errors or throughput worse?")
    ("report" (deploy-ledger cli report) command-report
     "the impact report: Org, Markdown, JSON or HTML with charts")
    ("receive" (deploy-ledger cli receive) command-receive
     "receive spans over OTLP/HTTP into a rolling window")
    ("watch" (deploy-ledger cli watch) command-watch
     "judge a deployment live; alert or roll back as a policy says")))

(define (usage port)
  (format port "Usage: deploy-ledger COMMAND [OPTIONS]...~%~%Commands:~%")
  (for-each (lambda (c) (format port "  ~10a ~a~%" (first c) (fourth c))) %subcommands)
  (format port "~%Every command takes --db FILE (default: $DEPLOY_LEDGER_DB, else
$XDG_DATA_HOME/deploy-ledger/ledger.db), or a PostgreSQL URL
(postgresql://USER@HOST:PORT/DB), and --help; only start and exec
create a ledger that does not exist.~%
Exit status: 0 success, 1 other error, 2 usage error, 3 not found,
4 invalid status transition, 5 storage error, 6 spans not exported
(kept in the spool or the dead letters: flush, or --export with
--strict-export) or a tracing backend not read;
correlate and report: 0 pass, 10 marginal, 11 fail, 12 inconclusive
(too little data to judge); exec: the command's own (128+N when signal
N killed it); watch: 20 after a rollback, 21 when its command failed.~%"))

(define (run-command entry args)
  (let ((proc (module-ref (resolve-interface (second entry)) (third entry))))
    (proc args)))

(define (report-error e)
  (let ((port (current-error-port)))
    (cond ((usage-error? e)
           (format port "~a~%" (usage-error-message e))
           %exit-usage)
          ((deploy-ledger-error? e)
           (format port "deploy-ledger: ~a~%" (deploy-ledger-error-message e))
           (exit-status (deploy-ledger-error-code e)))
          (else
           (format port "deploy-ledger: ~a~%"
                   (if (exception-with-message? e)
                       (apply format #f (exception-message e)
                              (if (exception-with-irritants? e) (exception-irritants e) '()))
                       e))
           %exit-failure))))

(define (run-cli args)
  "Run the command line ARGS (without the program name); return the exit
status."
  (with-exception-handler
      (lambda (e) (report-error e))
    (lambda ()
      (cond ((null? args)
             ;; No command: what there is to run, on stderr, as a usage error.
             (usage (current-error-port))
             %exit-usage)
            ((member (car args) '("-h" "--help" "help"))
             (usage (current-output-port))
             %exit-ok)
            ((member (car args) '("--version" "version"))
             (format #t "deploy-ledger ~a~%" %deploy-ledger-version)
             %exit-ok)
            ((assoc (car args) %subcommands)
             => (lambda (entry) (run-command entry (cdr args))))
            (else
             (usage-error "deploy-ledger: unknown command \"~a\" (see deploy-ledger --help)"
                          (car args)))))
    #:unwind? #t))
