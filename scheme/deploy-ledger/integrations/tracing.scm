;;; Deployments as distributed-tracing spans: the documented surface.
(define-module (deploy-ledger integrations tracing)
  #:use-module (srfi srfi-1)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger correlation)
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
               trace-context->environment
               correlation-result?
               correlation-result-deployment
               correlation-result-verdict
               correlation-result-score
               correlation-result-windows
               correlation-result-metrics
               correlation-result-comparison
               correlation-result-judge
               correlation-result-canary
               correlation-result-propagation
               correlation-result-new-error-types
               correlation-result->alist
               correlation-result->json)
  #:export (create-deployment-span
            inject-trace-context
            deployment-traceparent
            correlate-with-traces
            collect-deployment-metrics))

(define (deployment-traceparent deployment)
  "The traceparent of DEPLOYMENT's own span; the same on every call."
  (trace-context->traceparent (deployment-event-trace-context deployment)))

(define (design-attributes deployment built)
  "The attributes BUILT by the exporter's span builder, led by the keys of
the original design: @code{deployment.type}, @code{deployment.environment}
(kept for it; the exporter sends @code{deployment.environment.name}) and
@code{deployment.status}."
  `((deployment.type . ,(assq-ref built 'deployment.type))
    (deployment.environment . ,(deployment-event-environment deployment))
    (deployment.status . ,(assq-ref built 'deployment.status))
    ,@(remove (lambda (kv) (memq (car kv) '(deployment.type deployment.status))) built)))

(define* (create-deployment-span deployment #:key (links '()) parent (history '()))
  "The OpenTelemetry span of DEPLOYMENT as an alist, built by the same code
that exports it: @code{trace-id}, @code{span-id}, @code{parent-span-id},
@code{operation} (\"deployment\"), @code{service}, @code{version},
@code{start-time} and @code{end-time} (ns; the end is #f while the
deployment runs, and an export then ends the span at the time it is sent),
@code{traceparent}, @code{links} (traceparents), @code{attributes},
@code{events} (one per status transition of HISTORY, alists with
@code{name}, @code{time} and @code{attributes}), @code{status} (@code{ok},
@code{error} or #f while it runs) and @code{status-message}, and the
@code{deployment} and @code{history} it was made from, which
@code{export-spans} sends.

Attribute keys are symbols: the original design's @code{deployment.type},
@code{deployment.environment} and @code{deployment.status} (the
deployment's status, @code{rolled-back} included), and the OpenTelemetry
semantic conventions' @code{deployment.id}, @code{deployment.name},
@code{deployment.environment.name} and, when known,
@code{vcs.ref.head.revision}, @code{enduser.id},
@code{deploy_ledger.previous_version} and @code{deploy_ledger.regions} (a
list), then the deployment's own attributes.  The ids are the
deployment's own: the same deployment always yields the same span.  LINKS
is a list of trace contexts the deployment affected or that ran it.
PARENT, a trace context, becomes the span's parent when it is in the
deployment's trace, and a link otherwise (a deployment keeps its trace
once it has one).  HISTORY is the deployment's history as
@code{deployment-history} returns it."
  (let* ((ctx (deployment-event-trace-context deployment))
         (same-trace? (and parent (equal? (trace-context-trace-id parent)
                                          (trace-context-trace-id ctx))))
         (links (map trace-context->traceparent
                     (if (and parent (not same-trace?)) (cons parent links) links)))
         (d (if same-trace?
                (update-deployment-event deployment
                                         #:parent-span-id (trace-context-span-id parent))
                deployment))
         (span (%deployment-span (deployment-event->c d) history links)))
    `((trace-id . ,(assq-ref span 'trace-id))
      (span-id . ,(assq-ref span 'span-id))
      (parent-span-id . ,(assq-ref span 'parent-span-id))
      (operation . ,(assq-ref span 'name))
      (service . ,(deployment-event-service-name d))
      (version . ,(deployment-event-version d))
      (start-time . ,(assq-ref span 'start-time))
      (end-time . ,(deployment-event-completed d))
      (traceparent . ,(trace-context->traceparent ctx))
      (links . ,(assq-ref span 'links))
      (attributes . ,(design-attributes d (assq-ref span 'attributes)))
      (events . ,(assq-ref span 'events))
      (status . ,(assq-ref span 'status))
      (status-message . ,(assq-ref span 'status-message))
      (deployment . ,d)
      (history . ,history))))

(define (trace-header? header)
  (and (string? (car header))
       (member (string-downcase (car header)) '("traceparent" "tracestate"))))

(define (inject-trace-context deployment headers)
  "A new headers alist: HEADERS without any traceparent or tracestate,
with those of DEPLOYMENT's own span in front.  HEADERS is not modified;
the traceparent is the same on every call and matches the exported span."
  (append (trace-context->headers (deployment-event-trace-context deployment))
          (remove trace-header? headers)))

(define* (correlate-with-traces deployment traces #:key window (windows '()) group-by
                                (filter '((kind . server))) (judge #t) (compare 'auto)
                                control-version bucket propagation-bucket
                                (top-operations 5) min-requests max-window
                                (percentiles 'linear) (threads 0) now prometheus)
  "Correlate DEPLOYMENT with the spans of TRACES (a trace set, as
@code{load-traces} makes) and return a correlation result.

The requests are the SERVER spans of the deployed service; FILTER (an alist
of @code{service}, @code{kind}, @code{operation}, @code{attribute}) changes
that.  The windows are baseline [S - W, S), during [S, C] and after (C, C +
W] around the start S and completion C (or NOW) of the deployment, W being
WINDOW (nanoseconds or a duration such as @code{\"30m\"}; by default the
deployment's duration, at least 10 minutes); WINDOWS adds explicit ones
(@code{make-window}).  Metrics are computed per window and per group of
GROUP-BY (e.g. @code{'(region)} or @code{'(operation version)}).

COMPARE chooses what is judged: @code{canary} (the new version against
CONTROL-VERSION, by default the previous one, in the during window),
@code{before-after} (the after window, or during while nothing came after,
against the baseline), or @code{auto} (canary for canary deployments).
JUDGE is a judge configuration (@code{make-judge-config}), #t for the
default one, or #f not to judge; BUCKET is the width of the judge's
series (by default a thirtieth of the window).  The result also holds the
operations that moved most (canaries), the rollout across regions
(PROPAGATION-BUCKET) and the error types new with the version.

No data is not a failure: with fewer than MIN-REQUESTS requests (default
50) on either side, or no data for a critical metric, the verdict is
@code{inconclusive} and the judge's reason says what was missing.  A
deployment still running is judged up to NOW, but one running for longer
than MAX-WINDOW (a duration, default 24 hours; 0 for no limit) is refused.

PROMETHEUS, a source of @code{(deploy-ledger prometheus)}, adds the
service mesh's metrics (Istio, Linkerd, spanmetrics) as rows of the same
metrics with their source, judged the same way; TRACES may then be #f."
  (correlate deployment traces #:window window #:windows windows #:group-by group-by
             #:filter filter #:judge judge #:compare compare
             #:control-version control-version #:bucket bucket
             #:propagation-bucket propagation-bucket #:top-operations top-operations
             #:min-requests min-requests #:max-window max-window
             #:percentiles percentiles #:threads threads
             #:now now #:prometheus prometheus))

(define* (collect-deployment-metrics deployment traces #:key group-by
                                     (filter '((kind . server))) (percentiles 'linear)
                                     (threads 0) (now (current-time-ns)))
  "The metrics of the requests to DEPLOYMENT's service in the deployment's
window (from its start to its completion, or NOW) per group of GROUP-BY: a
list of alists with @code{window}, @code{group}, @code{count},
@code{errors}, @code{error-rate}, @code{throughput}, @code{mean},
@code{min}, @code{max}, @code{p50}, @code{p90}, @code{p95}, @code{p99}
(latencies in nanoseconds)."
  (deployment-metrics deployment traces #:group-by group-by #:filter filter
                      #:percentiles percentiles #:threads threads #:now now))
