;;; (deploy-ledger core types) and (deploy-ledger integrations tracing).
(use-modules (tap)
             (srfi srfi-64)
             (ice-9 exceptions)
             (deploy-ledger core errors)
             (deploy-ledger core time)
             (deploy-ledger core types)
             (deploy-ledger integrations tracing)
             (deploy-ledger ledger))

(define tid "4bf92f3577b34da6a3ce929d0e0e4736")
(define pid "00f067aa0ba902b7")

(test-begin "tracing")

(define d (make-deployment-event #:service-name "checkout" #:version "v2.3.1"
                                 #:previous-version "v2.3.0"
                                 #:deployment-type 'canary #:environment "staging"
                                 #:status 'in-progress
                                 #:started "2024-01-15T10:30:00Z"
                                 #:regions '("eu-west-1" "us-east-1")
                                 #:commit "9fceb02"))

(test-equal "service name" "checkout" (deployment-event-service-name d))
(test-equal "version" "v2.3.1" (deployment-event-version d))
(test-eq "type as symbol" 'canary (deployment-event-deployment-type d))
(test-equal "environment" "staging" (deployment-event-environment d))
(test-eq "status as symbol" 'in-progress (deployment-event-status d))
(test-equal "started parsed from RFC 3339" 1705314600000000000 (deployment-event-started d))
(test-eq "not completed" #f (deployment-event-completed d))
(test-equal "id is a UUIDv7" #\7 (string-ref (deployment-event-id d) 14))

(define span (create-deployment-span d))
(test-equal "span operation" "deployment" (assq-ref span 'operation))
(test-equal "span service" "checkout" (assq-ref span 'service))
(test-equal "span version" "v2.3.1" (assq-ref span 'version))
(test-equal "deployment.type attribute" "canary"
  (assq-ref (assq-ref span 'attributes) 'deployment.type))
(test-equal "deployment.environment attribute" "staging"
  (assq-ref (assq-ref span 'attributes) 'deployment.environment))
(test-equal "deployment.status attribute" "in-progress"
  (assq-ref (assq-ref span 'attributes) 'deployment.status))
(test-equal "semantic-convention environment" "staging"
  (assq-ref (assq-ref span 'attributes) 'deployment.environment.name))
(test-equal "vcs revision" "9fceb02"
  (assq-ref (assq-ref span 'attributes) 'vcs.ref.head.revision))
(test-equal "trace id is 32 hex digits" 32 (string-length (assq-ref span 'trace-id)))
(test-equal "span id is 16 hex digits" 16 (string-length (assq-ref span 'span-id)))
(test-equal "same deployment, same span ids" span (create-deployment-span d))

(define headers (inject-trace-context d '(("Content-Type" . "application/json")
                                          ("TraceParent" . "stale"))))
(test-equal "traceparent injected" 
  (string-append "00-" (assq-ref span 'trace-id) "-" (assq-ref span 'span-id) "-03")
  (assoc-ref headers "traceparent"))
(test-equal "stale traceparent replaced, other headers kept"
  '("traceparent" "Content-Type") (map car headers))
(test-equal "inject is stable" headers
  (inject-trace-context d '(("Content-Type" . "application/json"))))

(define ctx (extract-trace-context
             `(("TRACEPARENT" . ,(string-append " 00-" tid "-" pid "-01 "))
               ("tracestate" . "rojo=1") ("TraceState" . "congo=2"))))
(test-assert "extracted" (trace-context? ctx))
(test-equal "extracted trace id" tid (trace-context-trace-id ctx))
(test-equal "extracted span id" pid (trace-context-span-id ctx))
(test-equal "extracted flags" 1 (trace-context-flags ctx))
(test-equal "tracestate headers joined" "rojo=1,congo=2" (trace-context-tracestate ctx))
(test-eq "invalid traceparent gives #f" #f
  (extract-trace-context '(("traceparent" . "00-zz"))))
(test-eq "two traceparents give #f" #f
  (extract-trace-context `(("traceparent" . ,(string-append "00-" tid "-" pid "-01"))
                           ("traceparent" . ,(string-append "00-" tid "-" pid "-01")))))
(test-eq "no headers give #f" #f (extract-trace-context '()))

(define child (trace-context-child ctx))
(test-equal "child keeps trace id" tid (trace-context-trace-id child))
(test-assert "child has a fresh span id" (not (equal? pid (trace-context-span-id child))))
(test-equal "child keeps tracestate" "rojo=1,congo=2" (trace-context-tracestate child))
(test-equal "headers of a context"
  `(("traceparent" . ,(string-append "00-" tid "-" pid "-01"))
    ("tracestate" . "rojo=1,congo=2"))
  (trace-context->headers ctx))

(define root (make-trace-context))
(test-assert "root sampled" (trace-context-sampled? root))
(test-equal "root flags sampled+random" 3 (trace-context-flags root))
(test-assert "roots differ" (not (equal? (trace-context-trace-id root)
                                         (trace-context-trace-id (make-trace-context)))))

(setenv "TRACEPARENT" (string-append "00-" tid "-" pid "-01"))
(setenv "TRACESTATE" "ci=1")
(define env-ctx (trace-context-from-environment))
(test-equal "environment carrier" tid (trace-context-trace-id env-ctx))
(test-equal "environment tracestate" "ci=1" (trace-context-tracestate env-ctx))
(test-equal "environment file lines"
  (string-append "TRACEPARENT=00-" tid "-" pid "-01\nTRACESTATE=ci=1\n")
  (trace-context->environment env-ctx))
(define from-pipeline (make-deployment-event #:service-name "api" #:version "1"
                                             #:parent env-ctx))
(test-equal "deployment in a pipeline's trace" tid
  (trace-context-trace-id (deployment-event-trace-context from-pipeline)))
(test-equal "its span's parent is the pipeline" pid
  (assq-ref (create-deployment-span from-pipeline) 'parent-span-id))
(unsetenv "TRACEPARENT")
(test-eq "no TRACEPARENT" #f (trace-context-from-environment))

;; Errors: a condition type, a message naming the input.
(test-raises "unknown deployment type"
  (lambda (e) (and (deploy-ledger-error? e)
                   (eq? 'invalid-input (deploy-ledger-error-code e))
                   (string-contains (deploy-ledger-error-message e) "big-bang")))
  (make-deployment-event #:service-name "a" #:version "1" #:deployment-type 'big-bang))
(test-raises "unknown status"
  (lambda (e) (string-contains (deploy-ledger-error-message e) "\"done\""))
  (make-deployment-event #:service-name "a" #:version "1" #:status 'done))
(test-raises "bad timestamp names it"
  (lambda (e) (string-contains (deploy-ledger-error-message e) "2024-13-01"))
  (make-deployment-event #:service-name "a" #:version "1" #:started "2024-13-01T00:00:00Z"))
(test-raises "missing service"
  (lambda (e) (string-contains (deploy-ledger-error-message e) "service-name"))
  (make-deployment-event #:version "1"))
(test-raises "bad traceparent raises from the parser"
  (lambda (e) (and (deploy-ledger-error? e)
                   (eq? '%traceparent-parse (deploy-ledger-error-origin e))))
  (traceparent->trace-context "00-00000000000000000000000000000000-00f067aa0ba902b7-01"))
(test-raises "make-trace-context validates"
  (lambda (e) (string-contains (deploy-ledger-error-message e) "trace-id"))
  (make-trace-context #:trace-id "XYZ" #:span-id pid))
(test-raises "completion before start"
  (lambda (e) (deploy-ledger-error? e))
  (make-deployment-event #:service-name "a" #:version "1"
                         #:started "2024-01-15T10:30:00Z" #:completed "2024-01-15T10:00:00Z"))
(test-equal "rfc3339 round trip" "2024-01-15T10:30:00.500Z"
  (ns->rfc3339 (rfc3339->ns "2024-01-15T11:30:00.5+01:00")))
(test-equal "durations" (* 90 60 1000000000) (duration->ns "1h30m"))

;; The span's attributes agree with the deployment and its events, as the
;; exporter sends them (the alist is made by the same builder): regions as
;; one array attribute, a rollback as rolled-back on the span and on the
;; event of its transition.
(let* ((dir (mkdtemp (string-copy "/tmp/dl-tracing-XXXXXX")))
       (l (open-ledger (string-append dir "/ledger.db")))
       (r (begin (record-deployment! l d)
                 (update-deployment-status! l d 'rolled-back #:at "2024-01-15T10:40:00Z"
                                            #:reason "p99 doubled")))
       (s (create-deployment-span r #:history (deployment-history l r)))
       (attrs (assq-ref s 'attributes))
       (last-event (car (last-pair (assq-ref s 'events)))))
  (test-equal "regions: one array attribute" '("eu-west-1" "us-east-1")
    (assq-ref attrs 'deploy_ledger.regions))
  (test-assert "no comma-joined cloud.region on the deployment span"
    (not (assq 'cloud.region attrs)))
  (test-equal "a rollback is rolled-back on the span" "rolled-back"
    (assq-ref attrs 'deployment.status))
  (test-equal "as on the event of its transition" "rolled-back"
    (assq-ref (assq-ref last-event 'attributes) 'deployment.status))
  (close-ledger l)
  (system* "rm" "-rf" dir))

(test-end "tracing")
