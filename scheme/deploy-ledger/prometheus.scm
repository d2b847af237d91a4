;;; Metrics of a service mesh from Prometheus: Istio, Linkerd and the
;;; OpenTelemetry Collector's spanmetrics, per window and version, judged
;;; like traces.  The work is done in C (libdeployledger: the exposition
;;; parser, the HTTP API client, PromQL's increase() and
;;; histogram_quantile()); this module turns Scheme values into its
;;; options.
(define-module (deploy-ledger prometheus)
  #:use-module (srfi srfi-1)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger fetch-limits)
  #:use-module (deploy-ledger correlation)
  #:export (%prometheus-presets
            prometheus-source
            prometheus-source?
            prometheus-metrics
            read-prometheus-metrics
            correlate-with-prometheus))

(define %prometheus-presets
  ;; The shapes of metrics the C library knows (prometheus.h).
  '(istio linkerd linkerd-outbound spanmetrics))

(define (invalid fmt . args)
  (raise-deploy-ledger-error 'invalid-input 'prometheus-source (apply format #f fmt args)))

(define (query-pair q)
  "Q as (NAME . QUERY): a pair, or a string NAME=QUERY as on the command line."
  (cond ((and (pair? q) (string? (car q)) (string? (cdr q))) q)
        ((and (pair? q) (symbol? (car q)) (string? (cdr q)))
         (cons (symbol->string (car q)) (cdr q)))
        ((and (string? q) (string-index q #\=))
         => (lambda (i)
              (when (zero? i)
                (invalid "--promql ~s: the name before '=' is empty (write NAME=QUERY)" q))
              (cons (substring q 0 i) (substring q (+ i 1)))))
        (else (invalid "a PromQL query is NAME=QUERY or (NAME . QUERY), got ~s" q))))

(define* (prometheus-source #:key url file (preset 'istio) (promql '())
                            timeout retries max-bytes max-series max-samples)
  "Where the mesh's metrics come from: a Prometheus server at URL (its HTTP
API; credentials from @env{DEPLOY_LEDGER_PROMETHEUS_TOKEN}, or
@env{DEPLOY_LEDGER_PROMETHEUS_USER} and @env{_PASSWORD}, never printed),
or FILE, a text exposition file (Prometheus or OpenMetrics, with
timestamps).  PRESET names the series: @code{istio}
(@code{istio_requests_total}, @code{istio_request_duration_milliseconds},
reporter destination), @code{linkerd} (@code{response_total},
@code{response_latency_ms}, inbound), @code{linkerd-outbound} (the same
seen by the callers, @code{dst_*} labels) or @code{spanmetrics} (the
OpenTelemetry Collector's connector, with or without its
@code{traces_span_metrics_} namespace).  PROMQL adds queries of your own,
each @code{(NAME . QUERY)} or @code{\"NAME=QUERY\"}, in which
@code{$service}, @code{$version} and @code{$window} are replaced; they
are evaluated per window and judged (an increase is bad).  TIMEOUT,
RETRIES and MAX-BYTES bound the fetches as for @code{jaeger-traces};
MAX-SERIES (default 100,000) and MAX-SAMPLES (default 10,000,000) bound
what is kept.  Returns an alist for @code{correlate-with-prometheus} and
@code{prometheus-metrics}."
  (unless (or (string? url) (string? file))
    (invalid "prometheus-source: give #:url (a Prometheus server) or #:file (an exposition file)"))
  (when (and (string? url) (string? file))
    (invalid "prometheus-source: #:url or #:file, not both"))
  (let ((preset (if (string? preset) (string->symbol preset) preset)))
    (unless (memq preset %prometheus-presets)
      (invalid "unknown Prometheus preset ~s (expected ~a)" preset
               (string-join (map symbol->string %prometheus-presets) ", ")))
    (when (and file (pair? promql))
      (invalid "--promql needs a Prometheus server (#:url), not a file"))
    (let ((queries (map query-pair promql)))
      (for-each (lambda (q)
                  (when (string-null? (cdr q))
                    (invalid "--promql ~a: the query is empty" (car q))))
                queries)
      `((url . ,url) (file . ,file) (preset . ,(symbol->string preset))
        (promql . ,queries)
        (timeout-ms . ,(fetch-timeout-ms timeout 'prometheus-source))
        (retries . ,(fetch-retries retries 'prometheus-source))
        (max-bytes . ,(input-limit max-bytes 'prometheus-source))
        (max-series . ,max-series) (max-samples . ,max-samples)))))

(define (prometheus-source? x)
  "True when X is what @code{prometheus-source} returns."
  (and (list? x) (assq 'preset x) (or (assq-ref x 'url) (assq-ref x 'file)) #t))

(define (check-source who source)
  (unless (prometheus-source? source)
    (raise-deploy-ledger-error 'invalid-input who
                               (format #f "expected a source made by prometheus-source, got ~s"
                                       source))))

(define* (correlate-with-prometheus deployment source #:key traces #:allow-other-keys
                                    #:rest rest)
  "Correlate DEPLOYMENT with the mesh's metrics of SOURCE (see
@code{prometheus-source}), and with the trace set TRACES too when given:
the keyword arguments of @code{correlate-with-traces} apply (window,
compare, control-version, judge, bucket, min-requests, max-window, now).
The result's metrics are rows per window and version with a
@code{source} of @code{\"prometheus\"} (or @code{\"traces\"}); with both
sources the verdict is the worse of those that could tell, the
@code{prometheus} entry holds the mesh's comparison and judge, and
@code{disagreements} says where the two differ."
  (check-source 'correlate-with-prometheus source)
  (apply correlate deployment traces #:prometheus source
         (let strip ((r rest))
           (cond ((null? r) '())
                 ((eq? (car r) #:traces) (strip (cddr r)))
                 (else (cons* (car r) (cadr r) (strip (cddr r))))))))

(define* (prometheus-metrics deployment source #:key window now max-window)
  "The mesh's figures for DEPLOYMENT's service from SOURCE (see
@code{prometheus-source}) per window (baseline, during, after, as for
traces) and version, then of all versions together: a list of alists
with @code{source}, @code{window}, @code{group} (@code{version}),
@code{count}, @code{errors}, @code{error-rate}, @code{throughput},
@code{p50}, @code{p90}, @code{p95} and @code{p99} (nanoseconds), and the
exact increases Prometheus extrapolates (@code{increase},
@code{errors-increase})."
  (check-source 'prometheus-metrics source)
  (let ((r (correlate deployment #f #:prometheus source #:judge #f #:window window
                      #:now now #:max-window max-window)))
    (vector->list (correlation-result-metrics r))))

(define* (read-prometheus-metrics file #:key max-bytes)
  "The series of FILE, a Prometheus or OpenMetrics text exposition: a
list of alists with @code{name}, @code{labels} (an alist of strings),
@code{samples} (a list of @code{(time-ns . value)}) and @code{type}.  A
malformed line is an error naming the file, its line and column."
  (%read-exposition file (input-limit max-bytes 'read-prometheus-metrics)))
