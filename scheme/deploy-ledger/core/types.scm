;;; The deployment event.
(define-module (deploy-ledger core types)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-9 gnu)
  #:use-module (ice-9 match)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:export (deployment-event?
            make-deployment-event
            update-deployment-event
            deployment-event-id
            deployment-event-service-name
            deployment-event-version
            deployment-event-previous-version
            deployment-event-deployment-type
            deployment-event-environment
            deployment-event-regions
            deployment-event-status
            deployment-event-started
            deployment-event-completed
            deployment-event-actor
            deployment-event-commit
            deployment-event-commit-time
            deployment-event-attributes
            deployment-event-trace-context
            deployment-event-parent-span-id
            deployment-event-finished?
            deployment-event-duration
            deployment-event->alist
            deployment-event->c
            alist->deployment-event
            deployment-types
            deployment-statuses))

(define deployment-types '(rolling canary blue-green recreate shadow))
(define deployment-statuses '(pending in-progress succeeded failed rolled-back))

(define-record-type <deployment-event>
  (%make-deployment-event id service-name version previous-version deployment-type
                          environment regions status started completed actor
                          commit commit-time attributes trace-context
                          parent-span-id)
  deployment-event?
  (id deployment-event-id)
  (service-name deployment-event-service-name)
  (version deployment-event-version)
  (previous-version deployment-event-previous-version)
  (deployment-type deployment-event-deployment-type)   ; symbol
  (environment deployment-event-environment)
  (regions deployment-event-regions)                   ; list of strings
  (status deployment-event-status)                     ; symbol
  (started deployment-event-started)                   ; ns
  (completed deployment-event-completed)               ; ns or #f
  (actor deployment-event-actor)
  (commit deployment-event-commit)
  (commit-time deployment-event-commit-time)           ; ns or #f
  (attributes deployment-event-attributes)             ; alist of strings
  (trace-context deployment-event-trace-context)       ; <trace-context>
  (parent-span-id deployment-event-parent-span-id))    ; hex or #f

(set-record-type-printer!
 <deployment-event>
 (lambda (d port)
   (format port "#<deployment-event ~a ~a ~a ~a ~a>"
           (string-take (deployment-event-id d) (min 8 (string-length (deployment-event-id d))))
           (deployment-event-service-name d) (deployment-event-version d)
           (deployment-event-deployment-type d) (deployment-event-status d))))

(define (check-name who what value check)
  "VALUE as a symbol, checked by CHECK (a C primitive that raises)."
  (let ((name (cond ((symbol? value) (symbol->string value))
                    ((string? value) value)
                    (else (raise-deploy-ledger-error
                           'invalid-input who
                           (format #f "~a must be a symbol, got ~s" what value))))))
    (check name)
    (string->symbol name)))

(define (check-string who what value optional?)
  (cond ((and optional? (not value)) #f)
        ((and (string? value) (not (string-null? value))) value)
        (else (raise-deploy-ledger-error
               'invalid-input who
               (format #f "~a must be a non-empty string, got ~s" what value)))))

(define (check-attributes who attributes)
  (map (match-lambda
         (((? string? k) . (? string? v)) (cons k v))
         (((? symbol? k) . v) (check-attributes who (list (cons (symbol->string k) v))))
         ((k . (? symbol? v)) (cons k (symbol->string v)))
         ((k . (? number? v)) (cons k (number->string v)))
         (x (raise-deploy-ledger-error
             'invalid-input who
             (format #f "attribute ~s is not a (key . value) pair of strings" x))))
       attributes))

(define* (make-deployment-event #:key
                                (id (%deployment-new-id))
                                service-name version previous-version
                                (deployment-type 'rolling)
                                (environment "production")
                                (regions '())
                                (status 'pending)
                                (started (current-time-ns))
                                completed actor commit commit-time
                                (attributes '())
                                parent trace-context parent-span-id)
  "Make a deployment event.  SERVICE-NAME and VERSION are required strings;
DEPLOYMENT-TYPE is one of @code{rolling}, @code{canary}, @code{blue-green},
@code{recreate}, @code{shadow}; STATUS one of @code{pending},
@code{in-progress}, @code{succeeded}, @code{failed}, @code{rolled-back};
STARTED, COMPLETED and COMMIT-TIME are nanoseconds or RFC 3339 strings.

The event gets its trace context once, here: TRACE-CONTEXT when given,
otherwise a child of PARENT (a pipeline's trace context), otherwise a new
root; the deployment span and every traceparent handed on reuse it.
PARENT-SPAN-ID (hex) records the parent of a context given explicitly."
  (let* ((who 'make-deployment-event)
         (started (->ns started 'started))
         (completed (->ns completed 'completed))
         (context (or trace-context
                      (and parent (trace-context-child parent))
                      (make-trace-context))))
    (when (and completed (< completed started))
      (raise-deploy-ledger-error
       'invalid-input who
       (format #f "deployment of ~a completes (~a) before it starts (~a)"
               service-name (ns->rfc3339 completed) (ns->rfc3339 started))))
    (%make-deployment-event
     (check-string who "id" id #f)
     (check-string who "service-name" service-name #f)
     (check-string who "version" version #f)
     (check-string who "previous-version" previous-version #t)
     (check-name who "deployment-type" deployment-type %deploy-type-check)
     (check-string who "environment" environment #f)
     (map (lambda (r) (check-string who "region" r #f)) regions)
     (check-name who "status" status %deploy-status-check)
     started completed
     (check-string who "actor" actor #t)
     (check-string who "commit" commit #t)
     (->ns commit-time 'commit-time)
     (check-attributes who attributes)
     context
     (or parent-span-id (and parent (trace-context-span-id parent))))))

(define* (update-deployment-event d #:key
                                  (status (deployment-event-status d))
                                  (completed (deployment-event-completed d))
                                  (attributes (deployment-event-attributes d))
                                  (regions (deployment-event-regions d))
                                  (parent-span-id (deployment-event-parent-span-id d)))
  "A copy of the deployment event D with the given fields changed; its id
and trace context stay the same."
  (%make-deployment-event
   (deployment-event-id d) (deployment-event-service-name d)
   (deployment-event-version d) (deployment-event-previous-version d)
   (deployment-event-deployment-type d) (deployment-event-environment d)
   regions
   (check-name 'update-deployment-event "status" status %deploy-status-check)
   (deployment-event-started d)
   (->ns completed 'completed)
   (deployment-event-actor d) (deployment-event-commit d)
   (deployment-event-commit-time d)
   (check-attributes 'update-deployment-event attributes)
   (deployment-event-trace-context d)
   parent-span-id))

(define (deployment-event-finished? d)
  "True when D has reached a final status."
  (and (memq (deployment-event-status d) '(succeeded failed rolled-back)) #t))

(define* (deployment-event-duration d #:optional (now (current-time-ns)))
  "Nanoseconds from start to completion (or to NOW while it runs)."
  (- (or (deployment-event-completed d) now) (deployment-event-started d)))

(define (deployment-event->alist d)
  "D as an alist with symbol keys, times as RFC 3339 strings: the shape of
the command line's JSON output."
  (let ((time (lambda (ns) (and ns (ns->rfc3339 ns))))
        (ctx (deployment-event-trace-context d)))
    `((id . ,(deployment-event-id d))
      (service . ,(deployment-event-service-name d))
      (version . ,(deployment-event-version d))
      (previous-version . ,(deployment-event-previous-version d))
      (type . ,(symbol->string (deployment-event-deployment-type d)))
      (environment . ,(deployment-event-environment d))
      (regions . ,(deployment-event-regions d))
      (status . ,(symbol->string (deployment-event-status d)))
      (started . ,(time (deployment-event-started d)))
      (completed . ,(time (deployment-event-completed d)))
      (actor . ,(deployment-event-actor d))
      (commit . ,(deployment-event-commit d))
      (commit-time . ,(time (deployment-event-commit-time d)))
      (attributes . ,(deployment-event-attributes d))
      (trace-id . ,(trace-context-trace-id ctx))
      (span-id . ,(trace-context-span-id ctx))
      (traceparent . ,(trace-context->traceparent ctx)))))

;;; The alist a deployment crosses into C as, and back.

(define (alist->deployment-event a)
  "The deployment event of A, an alist as the C library hands it over
(symbol keys, integer nanoseconds, hex ids)."
  (define (ref key) (assq-ref a key))
  (make-deployment-event
   #:id (ref 'id) #:service-name (ref 'service) #:version (ref 'version)
   #:previous-version (ref 'previous-version)
   #:deployment-type (string->symbol (ref 'type))
   #:environment (ref 'environment) #:regions (ref 'regions)
   #:status (string->symbol (ref 'status))
   #:started (ref 'started) #:completed (ref 'completed)
   #:actor (ref 'actor) #:commit (ref 'commit) #:commit-time (ref 'commit-time)
   #:attributes (ref 'attributes)
   #:trace-context (make-trace-context #:trace-id (ref 'trace-id)
                                       #:span-id (ref 'span-id)
                                       #:flags (ref 'flags)
                                       #:tracestate (ref 'tracestate))
   #:parent-span-id (ref 'parent-span-id)))

(define (deployment-event->c d)
  "D as the alist the C library reads: the inverse of
@code{alist->deployment-event}."
  (let ((ctx (deployment-event-trace-context d)))
    `((id . ,(deployment-event-id d))
      (service . ,(deployment-event-service-name d))
      (version . ,(deployment-event-version d))
      (previous-version . ,(deployment-event-previous-version d))
      (type . ,(symbol->string (deployment-event-deployment-type d)))
      (environment . ,(deployment-event-environment d))
      (regions . ,(deployment-event-regions d))
      (status . ,(symbol->string (deployment-event-status d)))
      (started . ,(deployment-event-started d))
      (completed . ,(deployment-event-completed d))
      (actor . ,(deployment-event-actor d))
      (commit . ,(deployment-event-commit d))
      (commit-time . ,(deployment-event-commit-time d))
      (attributes . ,(deployment-event-attributes d))
      (trace-id . ,(trace-context-trace-id ctx))
      (span-id . ,(trace-context-span-id ctx))
      (flags . ,(trace-context-flags ctx))
      (tracestate . ,(trace-context-tracestate ctx))
      (parent-span-id . ,(deployment-event-parent-span-id d)))))
