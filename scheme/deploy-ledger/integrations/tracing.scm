;;; Deployments as distributed-tracing spans: the documented surface.
(define-module (deploy-ledger integrations tracing)
  #:use-module (srfi srfi-1)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:re-export (make-trace-context
               trace-context?
               trace-context-trace-id
               trace-context-span-id
               trace-context-flags
               trace-context-tracestate
               trace-context-sampled?
               trace-context-child
               trace-context->traceparent
               traceparent->trace-context
               trace-context->headers
               trace-context-with-tracestate
               extract-trace-context
               trace-context-from-environment
               trace-context->environment)
  #:export (create-deployment-span
            inject-trace-context
            deployment-traceparent))

(define (deployment-traceparent deployment)
  "The traceparent of DEPLOYMENT's own span; the same on every call."
  (trace-context->traceparent (deployment-event-trace-context deployment)))

(define* (create-deployment-span deployment #:key (links '()) parent)
  "The OpenTelemetry span of DEPLOYMENT as an alist: @code{trace-id},
@code{span-id}, @code{parent-span-id}, @code{operation} (\"deployment\"),
@code{service}, @code{version}, @code{start-time} and @code{end-time} (ns),
@code{traceparent}, @code{links} and @code{attributes}.  Attribute keys are
symbols: the original design's @code{deployment.type},
@code{deployment.environment} and @code{deployment.status}, and the
OpenTelemetry semantic conventions' @code{deployment.id},
@code{deployment.name}, @code{deployment.environment.name} and, when known,
@code{vcs.ref.head.revision}.  The ids are the deployment's own: the same
deployment always yields the same span.  LINKS is a list of trace contexts
the deployment affected or that ran it.  PARENT, a trace context, becomes
the span's parent when it is in the deployment's trace, and a link
otherwise (a deployment keeps its trace once it has one)."
  (let* ((ctx (deployment-event-trace-context deployment))
         (same-trace? (and parent (equal? (trace-context-trace-id parent)
                                          (trace-context-trace-id ctx))))
         (links (if (and parent (not same-trace?)) (cons parent links) links))
         (type (symbol->string (deployment-event-deployment-type deployment)))
        (status (symbol->string (deployment-event-status deployment)))
        (env (deployment-event-environment deployment)))
    `((trace-id . ,(trace-context-trace-id ctx))
      (span-id . ,(trace-context-span-id ctx))
      (parent-span-id . ,(if same-trace?
                             (trace-context-span-id parent)
                             (deployment-event-parent-span-id deployment)))
      (operation . "deployment")
      (service . ,(deployment-event-service-name deployment))
      (version . ,(deployment-event-version deployment))
      (start-time . ,(deployment-event-started deployment))
      (end-time . ,(deployment-event-completed deployment))
      (traceparent . ,(trace-context->traceparent ctx))
      (links . ,(map trace-context->traceparent links))
      (attributes
       . ((deployment.type . ,type)
          (deployment.environment . ,env)
          (deployment.status . ,status)
          (deployment.id . ,(deployment-event-id deployment))
          (deployment.name . ,(string-append (deployment-event-service-name deployment)
                                             " " (deployment-event-version deployment)))
          (deployment.environment.name . ,env)
          ,@(if (deployment-event-commit deployment)
                `((vcs.ref.head.revision . ,(deployment-event-commit deployment)))
                '())
          ,@(if (null? (deployment-event-regions deployment))
                '()
                `((cloud.region . ,(string-join (deployment-event-regions deployment)
                                                ","))))
          ,@(map (lambda (kv) (cons (string->symbol (car kv)) (cdr kv)))
                 (deployment-event-attributes deployment)))))))

(define (trace-header? header)
  (and (string? (car header))
       (member (string-downcase (car header)) '("traceparent" "tracestate"))))

(define (inject-trace-context deployment headers)
  "A new headers alist: HEADERS without any traceparent or tracestate,
with those of DEPLOYMENT's own span in front.  HEADERS is not modified;
the traceparent is the same on every call and matches the exported span."
  (append (trace-context->headers (deployment-event-trace-context deployment))
          (remove trace-header? headers)))
