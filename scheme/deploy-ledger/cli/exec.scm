;;; `deploy-ledger exec': a deployment around one command.  It records
;;; the start, runs the command with the deployment's trace context in its
;;; environment, and finishes the deployment by the command's exit status.
(define-module (deploy-ledger cli exec)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 exceptions)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:use-module (deploy-ledger cli record)
  #:use-module ((deploy-ledger cli export) #:select (export-options-help))
  #:export (command-exec))

(define exec-help
  (string-append "\
Usage: deploy-ledger exec --service S --version V [START OPTIONS] -- COMMAND [ARG]...
Record a deployment that starts now, run COMMAND (looked up in PATH and run
directly, without a shell) with the deployment's context in its
environment, and finish the deployment by how COMMAND ended: succeeded
when it exits 0, failed otherwise, with the reason \"exit status N\" or
\"killed by signal N (SIGNAME)\".

COMMAND's environment has TRACEPARENT and TRACESTATE (the deployment's own
span, so COMMAND's spans become its children) and
DEPLOY_LEDGER_DEPLOYMENT_ID (so `deploy-ledger stage' inside it needs no
ID).  SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to
deploy-ledger are passed on to COMMAND, which decides when to stop.

START OPTIONS, as for `deploy-ledger start':
" start-options-help export-options-help "\
  --db FILE              the ledger file or PostgreSQL URL (created when absent)

Exit status: COMMAND's own; 128+N when signal N killed it (as shells do);
127 when COMMAND was not found, 126 when it could not be run (the
deployment is then recorded as failed); 2 for a usage error and 5 when the
deployment could not be recorded, and then COMMAND is not run.
"))

(define (split-at-dashes args)
  "ARGS before and after the first \"--\"; #f for the second when there
is none."
  (let ((tail (member "--" args)))
    (if tail
        (values (list-head args (- (length args) (length tail))) (cdr tail))
        (values args #f))))

(define (exit-reason outcome)
  "The reason a deployment ended by OUTCOME, what @code{%run-command}
returns, and the exit status deploy-ledger then has: two values."
  (case (car outcome)
    ((exited) (values (format #f "exit status ~a" (cadr outcome)) (cadr outcome)))
    ((signaled)
     (values (format #f "killed by signal ~a~a" (cadr outcome)
                     (if (caddr outcome) (format #f " (SIG~a)" (caddr outcome)) ""))
             (+ 128 (cadr outcome))))
    (else (values (format #f "cannot run the command: ~a" (caddr outcome)) (cadr outcome)))))

(define (finish-by-outcome o id outcome actor)
  "Finish deployment ID by OUTCOME and return deploy-ledger's exit status:
the command's.  A deployment that cannot be finished is said on stderr;
the exit status is then the error's when the command succeeded."
  (call-with-values (lambda () (exit-reason outcome))
    (lambda (reason status)
      (guard (e ((deploy-ledger-error? e)
                 (format (current-error-port) "deploy-ledger: ~a~%"
                         (deploy-ledger-error-message e))
                 (if (zero? status) (exit-status (deploy-ledger-error-code e)) status)))
        (finish-deployment o id (if (zero? status) 'succeeded 'failed)
                           #:actor actor #:reason reason)
        status))))

(define (command-exec args)
  (define cmd "deploy-ledger exec")
  (call-with-values (lambda () (split-at-dashes args))
    (lambda (before command)
      (with-command
       "exec" start-options exec-help before
       (lambda (o)
         (unless (null? (options-rest o))
           (usage-error "~a: unexpected argument \"~a\" before -- (see --help)" cmd
                        (car (options-rest o))))
         (when (or (not command) (null? command))
           (usage-error "~a: expected -- COMMAND [ARG]... after the options" cmd))
         (let* ((actor (or (option o 'actor) (current-actor)))
                (d (call-with-values (lambda () (start-deployment cmd o))
                     (lambda (recorded exported) recorded)))
                (ctx (deployment-event-trace-context d))
                (id (deployment-event-id d)))
           (force-output (current-output-port))
           (force-output (current-error-port))
           (let ((outcome (%run-command
                           command
                           `(("TRACEPARENT" . ,(trace-context->traceparent ctx))
                             ("TRACESTATE" . ,(trace-context-tracestate ctx))
                             ("DEPLOY_LEDGER_DEPLOYMENT_ID" . ,id)))))
             (when (eq? (car outcome) 'not-run)
               (format (current-error-port) "deploy-ledger: cannot run \"~a\": ~a~%"
                       (car command) (caddr outcome)))
             (finish-by-outcome o id outcome actor))))))))
