;;; `deploy-ledger correlate': did this deployment make things worse?
(define-module (deploy-ledger cli correlate)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger traces)
  #:use-module (deploy-ledger fetch-limits)
  #:use-module (deploy-ledger correlation)
  #:use-module (deploy-ledger prometheus)
  #:use-module (deploy-ledger integrations tracing)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:use-module (deploy-ledger cli correlation-summary)
  #:use-module (deploy-ledger cli judge-options)
  #:export (command-correlate
            %correlate-options
            correlate-from-options
            trace-source))

(define correlate-help "\
Usage: deploy-ledger correlate ID --traces SOURCE [OPTIONS]
       deploy-ledger correlate ID --prometheus URL [--traces SOURCE] [OPTIONS]
Correlate deployment ID with the traces around it: the SERVER spans of its
service before, during and after it (or its new version against the old
one in the same window, for a canary), with latency percentiles, error
rate, throughput, significance tests and a verdict.  With --prometheus, the
service mesh's metrics are judged the same way, alone or beside the
traces (the verdict is then the worse of those that could tell, and the
summary shows both and where they disagree).

  --traces SOURCE   a trace file or directory (OTLP protobuf or JSON, Jaeger
                    JSON, gzip or not), or a tracing backend: jaeger:URL
                    (a bare http:// or https:// URL is Jaeger too) or
                    tempo:URL, asked for the service's traces over the
                    deployment's windows; repeat for several
  --prometheus URL  a Prometheus server (http:// or https://; credentials from
                    $DEPLOY_LEDGER_PROMETHEUS_TOKEN, or _USER and _PASSWORD)
                    or a text exposition file (Prometheus or OpenMetrics,
                    with timestamps) holding the mesh's metrics
  --prometheus-preset NAME
                    which metrics: istio (default: istio_requests_total and
                    istio_request_duration_milliseconds, reporter
                    destination), linkerd (response_total and
                    response_latency_ms, inbound), linkerd-outbound (the
                    same seen by the callers, dst_* labels) or spanmetrics
                    (the OpenTelemetry Collector's connector: calls_total
                    and duration_milliseconds or _seconds, with or without
                    the traces_span_metrics_ namespace)
  --promql NAME=QUERY
                    one more judged metric from Prometheus (an increase is
                    bad), $service, $version and $window replaced; repeat
  --window D        the baseline and after windows (default: the
                    deployment's duration, at least 10m)
  --max-window D    refuse a deployment still running after D (default 24h;
                    0: no limit): it is judged up to now
  --max-slices N    at most N one-hour slices asked of a backend (default
                    500); a longer window is refused
  --timeout D       the whole fetch from a backend, retries and pauses
                    included, ends within D (default $DEPLOY_LEDGER_TIMEOUT,
                    else 2m); an attempt receiving under 16 bytes a second
                    for 15 s is cut off
  --retries N       retry a failed request N times (default
                    $DEPLOY_LEDGER_RETRIES, else 3)
  --max-input SIZE  refuse a trace file or backend answer larger than SIZE
                    after decompression, e.g. 2GiB (default
                    $DEPLOY_LEDGER_MAX_INPUT, else 512MiB)
  --compare MODE    auto (default), canary or before-after
  --control-version V  the canary's baseline version (default: the
                    previous version, else the busiest other one)
  --group-by DIMS   also per group: service, version, region, environment,
                    operation, error-type or an attribute key (http.route),
                    comma-separated
  --operation NAME  only spans of this operation (span name)
  --kind KIND       server (default), client, internal, producer, consumer,
                    unspecified or any
  --attribute K=V   only spans whose attribute K is V
  --bucket B        width of the judge's series (default: window / 30)
  --percentiles P   linear (default) or nearest-rank
  --min-requests N  the fewest requests each side needs for a verdict
                    (default 50); fewer make it inconclusive
  --config FILE     the judge's configuration: a Scheme file whose last
                    expression is (make-judge-config ...) of
                    (deploy-ledger judge)
  --pass-score S    the score from which the verdict is pass (default 95)
  --marginal-score S  the score from which it is marginal (default 75)
  --allowed-increase METRIC=RATIO
                    e.g. latency-p99=1.2: a rise up to 20% passes; repeat
  --critical METRIC a metric whose failure fails the whole; repeat
  --lenient         skip malformed spans and files instead of failing, and
                    say how many on stderr
  --json            the full result as JSON
  --db FILE         the ledger file or PostgreSQL URL

Exit status: 0 pass, 10 marginal, 11 fail, 12 inconclusive (too few
requests on a side, or no data for a critical metric: the summary says
what was missing); 1 for a trace file that cannot be read, whatever the
reason (missing, not a regular file, larger than --max-input, malformed);
2 for a usage error (an unknown option or value, a stray argument, a
deployment running longer than --max-window); 3 for no such deployment;
5 for a ledger that cannot be read; 6 when a tracing backend or the
Prometheus server could not be read, whatever the reason (no answer within
--timeout, an error status, an answer too large or malformed).
")

(define %dimensions '("service" "version" "region" "environment" "operation" "error-type"))

(define (group-by-option cmd text)
  "The dimensions of --group-by TEXT: the built-in ones, or attribute
keys, which have a dot (http.route); a usage error for anything else."
  (and text
       (map (lambda (dim)
              (unless (or (member dim %dimensions) (string-index dim #\.))
                (usage-error "~a: unknown --group-by dimension \"~a\" (expected ~a, or an \
attribute key such as http.route)" cmd dim (string-join %dimensions ", ")))
              dim)
            (string-split text #\,))))

(define (kept-keys group-by attribute)
  "The attribute keys the trace set must keep as columns: those grouped
by or filtered on, other than the built-in dimensions."
  (delete-duplicates
   (filter (lambda (k) (and (string-index k #\.) (not (member k %dimensions))))
           (append (or group-by '()) (if attribute (list (car attribute)) '())))))

(define (load-file-traces spec lenient? keep max-bytes)
  "The spans of file or directory SPEC.  Any failure to read them is an
error naming SPEC with exit status 1 (not 3: a missing trace file is not a
missing deployment).  With LENIENT? what was skipped is said on stderr."
  (unless (file-exists? spec)
    (raise-deploy-ledger-error 'trace-file 'load-traces
                               (format #f "cannot read traces from ~a: no such file or directory"
                                       spec)))
  (let ((set (with-exception-handler
                 (lambda (e)
                   (raise-deploy-ledger-error
                    'trace-file 'load-traces
                    (or (and (deploy-ledger-error? e) (deploy-ledger-error-message e))
                        (format #f "cannot read traces from ~a" spec))))
               (lambda () (load-traces spec #:lenient? lenient? #:keep keep
                                       #:max-bytes max-bytes))
               #:unwind? #t)))
    (when lenient?
      (report-skipped spec (trace-set-stats set)))
    set))

(define (report-skipped spec stats)
  "Say on stderr how much of SPEC --lenient skipped, and the first reason."
  (let* ((files (or (assq-ref stats 'skipped-files) 0))
         (spans (- (or (assq-ref stats 'skipped) 0) files)))
    (format (current-error-port) "deploy-ledger correlate: ~a: ~a span~:p or line~:p and ~a \
file~:p skipped~a~%" spec spans files
            (let ((w (assq-ref stats 'warning)))
              (if w (string-append " (first: " w ")") "")))))

(define (backend-error spec e)
  "Raise E again as the one failure of a tracing backend (exit status 6),
whatever its cause: no answer within the deadline, an error status, an
answer too large or malformed."
  (raise-deploy-ledger-error
   'http 'correlate
   (if (deploy-ledger-error? e)
       (deploy-ledger-error-message e)
       (format #f "cannot read traces from ~a" spec))))

(define* (trace-source spec d width max-window lenient? keep max-slices
                       #:key timeout retries max-bytes)
  "The spans SPEC names for deployment D: a file or directory, or the
traces of D's service over D's windows (of WIDTH; refused when D has run
for longer than MAX-WINDOW) from jaeger:URL, tempo:URL or a bare http(s)
URL (Jaeger), in at most MAX-SLICES slices, within TIMEOUT in all with
RETRIES retries.  No file or answer may exceed MAX-BYTES.  Backends report
what they fetched on stderr."
  (define (fetch fetcher url)
    (let ((windows (deployment-windows d #:width width #:max-window max-window)))
      (with-exception-handler
          (lambda (e)
            ;; What the user asked wrongly (a window of too many slices, a URL
            ;; that is not http or https) is a usage error, refused before
            ;; any request; the rest is the backend's.
            (if (and (deploy-ledger-error? e)
                     (eq? (deploy-ledger-error-code e) 'invalid-input))
                (raise-exception e)
                (backend-error spec e)))
        (lambda ()
          (fetcher #:url url #:service (deployment-event-service-name d)
                   #:start (apply min (map window-start windows))
                   #:end (apply max (map window-end windows))
                   #:max-slices max-slices #:timeout timeout #:retries retries
                   #:max-bytes max-bytes
                   #:lenient? lenient? #:keep keep #:verbose? #t))
        #:unwind? #t)))
  (cond ((string-prefix? "jaeger:" spec) (fetch jaeger-traces (substring spec 7)))
        ((string-prefix? "tempo:" spec) (fetch tempo-traces (substring spec 6)))
        ((or (string-prefix? "http://" spec) (string-prefix? "https://" spec))
         (fetch jaeger-traces spec))
        (else (load-file-traces spec lenient? keep max-bytes))))

(define (filter-options o)
  "The span filter the options O give: --kind (default server),
--operation, --attribute K=V."
  (define cmd "deploy-ledger correlate")
  `((kind . ,(string->symbol (option o 'kind "server")))
    ,@(if (option o 'operation) `((operation . ,(option o 'operation))) '())
    ,@(if (option o 'attribute)
          `((attribute . ,(key-value cmd 'attribute (option o 'attribute))))
          '())))

(define (natural cmd name text default)
  "TEXT, the value of option NAME, as an integer >= 0; DEFAULT when absent."
  (if (not text)
      default
      (let ((n (string->number text)))
        (unless (and n (exact-integer? n) (>= n 0))
          (usage-error "~a: --~a must be a whole number, got \"~a\"" cmd name text))
        n)))

(define (limit-option cmd name text read)
  "TEXT, the value of option NAME (or #f), read by READ, one of the
procedures of @code{(deploy-ledger fetch-limits)}, which also read the
environment when TEXT is #f; a usage error naming CMD and the option (or
the variable) otherwise."
  (with-exception-handler
      (lambda (e)
        (usage-error "~a: ~a" cmd (if text
                                      (message-naming (format #f "--~a" name) e)
                                      (deploy-ledger-error-message e))))
    (lambda () (read text (symbol-append '-- name)))
    #:unwind? #t))

(define %correlate-options
  ;; The options of every command that correlates (correlate, report).
  '((traces multi) (window value) (max-window value) (max-slices value)
    (compare value) (control-version value) (group-by value) (operation value)
    (kind value) (attribute value) (bucket value) (percentiles value)
    (min-requests value) (config value) (pass-score value)
    (marginal-score value) (allowed-increase multi) (critical multi)
    (lenient flag) (timeout value) (retries value) (max-input value)
    (prometheus value) (prometheus-preset value) (promql multi)))

(define (prometheus-option cmd o timeout retries max-bytes)
  "The Prometheus source --prometheus, --prometheus-preset and --promql
give (#f without --prometheus): a server for an http(s) URL, else an
exposition file, whose errors name it with exit status 1."
  (let ((spec (option o 'prometheus))
        (preset (option o 'prometheus-preset "istio"))
        (queries (option o 'promql '())))
    (unless spec
      (when (option o 'prometheus-preset)
        (usage-error "~a: --prometheus-preset needs --prometheus" cmd))
      (unless (null? queries)
        (usage-error "~a: --promql needs --prometheus URL" cmd)))
    (and spec
         (let ((server? (or (string-prefix? "http://" spec) (string-prefix? "https://" spec))))
           (unless (member preset '("istio" "linkerd" "linkerd-outbound" "spanmetrics"))
             (usage-error "~a: unknown --prometheus-preset \"~a\" (expected istio, linkerd, \
linkerd-outbound or spanmetrics)" cmd preset))
           (for-each (lambda (q)
                       (let ((i (string-index q #\=)))
                         (unless (and i (> i 0) (< (+ i 1) (string-length q)))
                           (usage-error "~a: --promql takes NAME=QUERY, got \"~a\"" cmd q))))
                     queries)
           (when (and (not server?) (pair? queries))
             (usage-error "~a: --promql needs a Prometheus server (--prometheus http://...), \
not a file" cmd))
           (when (and (not server?) (not (file-exists? spec)))
             (raise-deploy-ledger-error
              'trace-file 'prometheus
              (format #f "cannot read Prometheus metrics from ~a: no such file or directory \
(give an http:// or https:// URL for a server)" spec)))
           (if server?
               (prometheus-source #:url spec #:preset preset #:promql queries
                                  #:timeout timeout #:retries retries #:max-bytes max-bytes)
               (prometheus-source #:file spec #:preset preset #:max-bytes max-bytes))))))

(define (correlate-from-options cmd o)
  "Correlate the deployment the parsed options O name (one ID, --traces
and/or --prometheus and the settings of @code{%correlate-options}), for
command CMD: three values, the deployment event, the trace set (#f with
--prometheus alone) and the correlation result."
  (let* ((id (one-id cmd o))
         (sources (option o 'traces '()))
         (_ (when (and (null? sources) (not (option o 'prometheus)))
              (usage-error "~a: --traces or --prometheus is required" cmd)))
         (compare (symbol-option cmd o 'compare '(auto canary before-after) 'auto))
         (percentiles (symbol-option cmd o 'percentiles '(linear nearest-rank) 'linear))
         (group-by (group-by-option cmd (option o 'group-by)))
         (filter (filter-options o))
         (judge (judge-config-of-options o))
         (min-requests (natural cmd 'min-requests (option o 'min-requests) #f))
         (max-slices (and (option o 'max-slices)
                          (positive-integer cmd 'max-slices (option o 'max-slices))))
         ;; "0" is no limit (a duration needs a unit otherwise).
         (max-window (let ((w (option o 'max-window))) (if (equal? w "0") 0 w)))
         ;; Read before the ledger is opened: a bad value is a usage error.
         (timeout (* 1000000 (limit-option cmd 'timeout (option o 'timeout) fetch-timeout-ms)))
         (retries (limit-option cmd 'retries (option o 'retries) fetch-retries))
         (max-bytes (limit-option cmd 'max-input (option o 'max-input) input-limit))
         (prometheus (prometheus-option cmd o timeout retries max-bytes))
         (d (call-with-ledger-of o (lambda (l) (find-or-fail l id))))
         (keep (kept-keys group-by (assq-ref filter 'attribute)))
         (traces (and (pair? sources)
                      (apply trace-set-merge
                             (map (lambda (s) (trace-source s d (option o 'window)
                                                            (or max-window #t)
                                                            (option o 'lenient) keep max-slices
                                                            #:timeout timeout #:retries retries
                                                            #:max-bytes max-bytes))
                                  sources)))))
    (values d traces
            (correlate-with-traces d traces #:window (option o 'window) #:compare compare
                                   #:group-by group-by #:filter filter #:judge judge
                                   #:control-version (option o 'control-version)
                                   #:bucket (option o 'bucket) #:percentiles percentiles
                                   #:min-requests min-requests #:max-window max-window
                                   #:prometheus prometheus))))

(define (command-correlate args)
  (define cmd "deploy-ledger correlate")
  (with-command
   "correlate" (cons '(json flag) %correlate-options)
   correlate-help args
   (lambda (o)
     (call-with-values (lambda () (correlate-from-options cmd o))
       (lambda (d traces r)
         (if (option o 'json)
             (begin (display (correlation-result->json r)) (newline))
             (print-correlation-summary r d))
         (verdict->exit-status (correlation-result-verdict r)))))))
