;;; `deploy-ledger watch': judge a deployment live and act on a policy.
(define-module (deploy-ledger cli watch)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger traces)
  #:use-module (deploy-ledger receiver)
  #:use-module (deploy-ledger policies)
  #:use-module (deploy-ledger watch)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:use-module (deploy-ledger cli receive)
  #:use-module (deploy-ledger cli record)
  #:use-module (deploy-ledger cli correlate)
  #:export (command-watch
            %exit-rolled-back
            %exit-rollback-failed))

(define %exit-rolled-back 20)       ; a rollback fired and its command succeeded
(define %exit-rollback-failed 21)   ; a rollback fired and its command failed

(define watch-help (string-append "\
Usage: deploy-ledger watch ID [--listen ADDR:PORT | --traces SOURCE] [OPTIONS]
Watch deployment ID live: every interval, correlate the spans since it
started (canary against control, or before against after), print one
status line (elapsed, requests, p99 and error rate per side, the verdict
so far), and evaluate the policy: a rule that has held for its #:for
intervals fires once per deployment (also across restarts of watch),
alerting or rolling back.  Stops when the deployment ends in the ledger,
after a rollback, or at --timeout.

  --listen ADDR:PORT  receive the service's spans over OTLP/HTTP here
                    (the default: 127.0.0.1:4318)
  --traces SOURCE   or fetch them each interval from jaeger:URL, tempo:URL
                    or a trace file or directory, as correlate does
  --policy FILE     the policy (a Scheme file of (deploy-ledger policies));
                    without one, watch only prints
  --trust-policy    load the policy as plain Scheme, not in the sandbox
                    that only allows the policy language
  --interval D      between evaluations (default: the policy's, else 30s)
  --timeout D       stop after D (default: when the deployment ends)
  --compare MODE    auto (default), canary or before-after
  --control-version V  the canary's baseline version
  --min-requests N  the fewest requests each side needs for a verdict
                    (default 50)
  --export          send the deployment span at once after a rollback
                    (it is spooled whenever an OTLP endpoint is set)
  --db FILE         the ledger file or PostgreSQL URL
With --listen, the receiver's options:
" %receiver-options-help "
Exit status: 0 when no rollback fired (the deployment ended, or the
timeout came); 20 after a rollback whose command succeeded (the
deployment is then rolled-back, the rule its reason); 21 after a rollback
whose command failed or timed out (its output is in the ledger, the
deployment unchanged); 1 when the policy or the address is refused; 2 for
a usage error; 3 for no such deployment; 5 for a ledger that cannot be
read.
"))

(define (spans-from-options cmd o)
  "Two values: the procedure giving the spans of a deployment each
interval, and the receiver to stop afterwards (or #f)."
  (let ((traces (option o 'traces '())))
    (cond ((and (pair? traces) (option o 'listen))
           (usage-error "~a: give --listen or --traces, not both" cmd))
          ((pair? traces)
           (values (lambda (d)
                     (apply trace-set-merge
                            (map (lambda (s) (trace-source s d #f #t #f '() #f)) traces)))
                   #f))
          (else
           (let ((r (receiver-from-options cmd o)))
             (format (current-error-port) "deploy-ledger watch: receiving spans on ~a \
(POST /v1/traces)~%" (listening-on o r))
             (values (lambda (d)
                       (receiver-snapshot r #:service (deployment-event-service-name d)))
                     r))))))

(define (command-watch args)
  (define cmd "deploy-ledger watch")
  (with-command
   "watch" (append '((traces multi) (policy value) (trust-policy flag) (interval value)
                     (timeout value) (compare value) (control-version value)
                     (min-requests value) (export flag))
                   %receiver-options)
   watch-help args
   (lambda (o)
     (let* ((id (one-id cmd o))
            (policy (and (option o 'policy)
                         (load-policy (option o 'policy) #:trust? (option o 'trust-policy))))
            (interval (and (option o 'interval) (duration-option cmd o 'interval #f)))
            (timeout (and (option o 'timeout) (duration-option cmd o 'timeout #f)))
            (compare (symbol-option cmd o 'compare '(auto canary before-after) 'auto))
            (min-requests (and (option o 'min-requests)
                               (positive-integer cmd 'min-requests (option o 'min-requests)))))
       ;; No such deployment is exit status 3 before anything listens.
       (call-with-ledger-of o (lambda (l) (find-or-fail l id)))
       (call-with-values (lambda () (spans-from-options cmd o))
         (lambda (spans receiver)
           (let ((result
                  (dynamic-wind
                    (const #t)
                    (lambda ()
                      (watch-deployment
                       id #:db (option o 'db) #:policy policy #:spans spans
                       #:interval interval #:timeout timeout #:compare compare
                       #:control-version (option o 'control-version)
                       #:min-requests min-requests
                       #:on-event (lambda (line)
                                    (format (current-error-port) "deploy-ledger watch: ~a~%" line))
                       #:finish (lambda (id status reason)
                                  (finish-deployment o id status #:reason reason
                                                     #:actor "deploy-ledger watch"))))
                    (lambda () (when receiver (stop-receiver receiver))))))
             (format #t "watch ended: ~a after ~a interval~:p~a~%"
                     (assq-ref result 'outcome) (assq-ref result 'intervals)
                     (let ((f (assq-ref result 'fired)))
                       (if (null? f) "" (format #f "; fired: ~{~s~^, ~}" f))))
             (case (assq-ref result 'outcome)
               ((rolled-back) %exit-rolled-back)
               ((rollback-failed) %exit-rollback-failed)
               (else %exit-ok)))))))))
