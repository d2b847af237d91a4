;;; Carrying out a policy's actions: an alert (a JSON POST with the
;;; deployment's traceparent, in a thread of its own so that a slow
;;; receiver never holds the watch) and a rollback (the command run
;;; without a shell, under a deadline, its output kept).
(define-module (deploy-ledger policies actions)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (ice-9 threads)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger json)
  #:use-module (deploy-ledger integrations tracing)
  #:use-module (deploy-ledger policies language)
  #:export (alert-body
            start-alert
            alert-finished?
            alert-result
            run-rollback
            %alert-deadline
            %rollback-max-output))

(define %alert-deadline
  ;; Milliseconds an alert may take, retries included.
  10000)

(define %rollback-max-output
  ;; Bytes of a rollback's output kept in the ledger.
  4096)

(define (figures-json ctx)
  "The figures of context CTX as a JSON object: per figure, control and
experiment."
  (map (lambda (f)
         (cons (car f)
               (filter-map (lambda (k) (let ((v (assq-ref (cdr f) k))) (and v (cons k v))))
                           '(control experiment change relative-change))))
       (or (assq-ref ctx 'figures) '())))

(define (alert-body deployment policy rule ctx)
  "The JSON text an alert posts: the deployment (id, service, version,
previous version, environment, status, traceparent), the policy and rule
(with its condition as written), the verdict and score, every figure of
control and experiment, and when."
  (json->string
   `((deployment
      (id . ,(deployment-event-id deployment))
      (service . ,(deployment-event-service-name deployment))
      (version . ,(deployment-event-version deployment))
      (previous-version . ,(or (deployment-event-previous-version deployment) 'null))
      (environment . ,(or (deployment-event-environment deployment) 'null))
      (status . ,(deployment-event-status deployment))
      (traceparent . ,(deployment-traceparent deployment)))
     (policy . ,(policy-name policy))
     (rule . ,(rule-name rule))
     (condition . ,(condition-description (rule-condition rule)))
     (verdict . ,(or (assq-ref ctx 'verdict) 'null))
     (score . ,(or (assq-ref ctx 'score) 'null))
     (control . ,(or (assq-ref ctx 'control) 'null))
     (experiment . ,(or (assq-ref ctx 'experiment) 'null))
     (figures . ,(figures-json ctx))
     (at . ,(ns->rfc3339 (current-time-ns))))))

(define (start-alert action deployment body)
  "Start POSTing BODY for ACTION (an alert) in a new thread, with the
deployment's traceparent (and tracestate) and the action's headers;
return the thread.  The POST is retried on 429, 502-504 and refused
connections within @code{%alert-deadline} milliseconds."
  (let ((url (car (action-arguments action)))
        (headers (append (inject-trace-context deployment '())
                         (or (assq-ref (action-options action) 'headers) '()))))
    (call-with-new-thread
     (lambda ()
       (catch #t
         (lambda () (%http-post url body "application/json" headers %alert-deadline))
         (lambda (key . args)
           `((ok . #f) (http-status . 0) (attempts . 0)
             (message . ,(format #f "~a: ~s" key args)))))))))

(define (alert-finished? thread)
  "True once the alert THREAD is done."
  (thread-exited? thread))

(define* (alert-result thread #:optional (timeout-s 0))
  "The result of alert THREAD (an alist: ok, http-status, attempts,
message), waiting at most TIMEOUT-S seconds; #f if it is still running."
  (join-thread thread (+ (current-time) timeout-s) #f))

(define (run-rollback action)
  "Run the rollback ACTION's command (execvp, no shell) under its
#:timeout, and return an alist: status (exited, signaled, timed-out,
not-run), code, output (the first @code{%rollback-max-output} bytes of
stdout and stderr), truncated, message."
  (%run-with-deadline (action-arguments action)
                      (quotient (assq-ref (action-options action) 'timeout) 1000000)
                      %rollback-max-output))
