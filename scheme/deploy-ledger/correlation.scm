;;; Correlating deployments with traces: windows, metrics per window and
;;; group, time series, the statistics, and the correlation result (the
;;; judge's configuration is (deploy-ledger judge), re-exported here).
;;; The work is done in C (libdeployledger); this module turns Scheme
;;; values into its options and its answers into records and alists.
(define-module (deploy-ledger correlation)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-9 gnu)
  #:use-module (ice-9 match)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger judge)
  #:use-module ((deploy-ledger traces) #:select (span-kind->integer))
  #:export (;; Windows and series.
            deployment-windows
            window-name
            window-start
            window-end
            make-window
            time-buckets
            trace-metrics
            time-series
            ;; Statistics.
            quantiles
            mann-whitney-test
            two-proportion-test
            ;; Correlation.
            correlate
            deployment-metrics
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
            correlation-result->json
            verdict->exit-status
            spans->trace-set))

;; Every name of (deploy-ledger judge) is public here too, as it was before
;; the judge's configuration had its own module; its export list stays the
;; one list of those names.
(module-re-export! (current-module)
                   (module-map (lambda (name variable) name)
                               (resolve-interface '(deploy-ledger judge))))

;;; ---- windows ----

(define (make-window name start end)
  "A window: NAME (a symbol or string) and the half-open range [START,
END) of span start times (nanoseconds or RFC 3339 strings)."
  (cons name (cons (->ns start 'make-window) (->ns end 'make-window))))

(define (window-name w) "The name of window W." (car w))
(define (window-start w) "The first nanosecond of window W." (cadr w))
(define (window-end w) "The nanosecond after window W." (cddr w))

(define* (deployment-windows deployment #:key width (now (current-time-ns)) max-window)
  "The windows of DEPLOYMENT as a list of @code{(name start . end)}:
@code{baseline} [S - W, S), @code{during} [S, C] and @code{after} (C, C +
W], closed ends written as half-open ranges on nanoseconds.  C is the
completion, or NOW while the deployment runs; W is WIDTH (nanoseconds or a
string such as @code{\"30m\"}), by default the deployment's duration and at
least 10 minutes.  With MAX-WINDOW (a duration, or #t for the 24 hours
@code{correlate-with-traces} allows by default) a deployment still running
after that long is refused, as @code{correlate-with-traces} refuses it."
  (%deployment-windows (deployment-event-id deployment)
                       (deployment-event-started deployment)
                       (deployment-event-completed deployment)
                       now (duration->ns width 'deployment-windows)
                       (if (eq? max-window #t) #t (duration->ns max-window 'deployment-windows))))

(define* (time-buckets start end width)
  "Windows of WIDTH (nanoseconds or a duration string) covering [START,
END), the last one cut at END; each is named by its start as RFC 3339."
  (let ((start (->ns start 'time-buckets))
        (end (->ns end 'time-buckets))
        (width (duration->ns width 'time-buckets)))
    (unless (and width (positive? width))
      (raise-deploy-ledger-error 'invalid-input 'time-buckets "bucket width must be positive"))
    (unless (< start end)
      (raise-deploy-ledger-error 'invalid-input 'time-buckets "time series range is empty"))
    (when (> (/ (- end start) width) 1000000)
      (raise-deploy-ledger-error 'invalid-input 'time-buckets "more than a million buckets"))
    (let loop ((t start) (acc '()))
      (if (>= t end)
          (reverse acc)
          (loop (+ t width)
                (cons (make-window (ns->rfc3339 t) t (min end (+ t width))) acc))))))

;;; ---- options shared by every query ----

(define (filter-kind who kind)
  "The number of span KIND for a filter: -1 for @code{any}, else that of
@code{span-kind->integer}, whose error for an unknown kind also names
@code{any}."
  (if (eq? kind 'any)
      -1
      (with-exception-handler
          (lambda (e)
            (raise-deploy-ledger-error
             'invalid-input who
             (string-append (deploy-ledger-error-message e) ", or any for every kind")))
        (lambda () (span-kind->integer kind who))
        #:unwind? #t
        #:unwind-for-type &deploy-ledger-error)))

(define (group-by->string who group-by)
  (cond ((not group-by) #f)
        ((string? group-by) group-by)
        ((symbol? group-by) (symbol->string group-by))
        ((and (list? group-by) (every (lambda (x) (or (symbol? x) (string? x))) group-by))
         (string-join (map (lambda (x) (if (symbol? x) (symbol->string x) x)) group-by) ","))
        (else (raise-deploy-ledger-error
               'invalid-input who
               (format #f "#:group-by must be a list of dimension names, got ~s" group-by)))))

(define (filter->options who filter)
  "FILTER, an alist with keys service, kind, operation and attribute
(a pair key . value, or a key alone), as the C library's option alist."
  (unless (and (list? filter) (every pair? filter))
    (raise-deploy-ledger-error
     'invalid-input who (format #f "#:filter must be an alist, got ~s" filter)))
  (append-map
   (match-lambda
     (('service . (? string? s)) `((service . ,s)))
     (('kind . (? symbol? k)) `((kind . ,(filter-kind who k))))
     (('operation . (? string? op)) `((operation . ,op)))
     (('attribute . ((? string? k) . (? string? v))) `((attribute-key . ,k) (attribute-value . ,v)))
     (('attribute . (? string? k)) `((attribute-key . ,k)))
     (x (raise-deploy-ledger-error
         'invalid-input who
         (format #f "unknown filter entry ~s (expected service, kind, operation or attribute)" x))))
   filter))

(define (engine-options who group-by filter percentiles threads now)
  (append (filter->options who filter)
          `((group-by . ,(group-by->string who group-by))
            (percentiles . ,percentiles)   ; checked by the C library
            (threads . ,threads)
            (now . ,now))))

;;; ---- metrics and time series ----

(define* (trace-metrics traces windows #:key group-by (filter '((kind . server)))
                        (percentiles 'linear) (threads 0))
  "Metrics of the requests of TRACES in each of WINDOWS (a list of
@code{(name start . end)}) and group: a vector of alists with
@code{window}, @code{group} (an alist of dimension to value), @code{count},
@code{errors}, @code{error-rate}, @code{throughput} (per second),
@code{mean}, @code{min}, @code{max}, @code{p50}, @code{p90}, @code{p95},
@code{p99} (latencies in nanoseconds; exact, with PERCENTILES
@code{linear} or @code{nearest-rank}).  GROUP-BY lists dimensions:
@code{service}, @code{version}, @code{region}, @code{environment},
@code{operation}, @code{error-type}, or kept attribute keys.  FILTER is an
alist of @code{service}, @code{kind} (default @code{server}),
@code{operation} and @code{attribute} (@code{(key . value)})."
  (%trace-metrics traces
                  (map (lambda (w)
                         (cons (let ((n (window-name w))) (if (symbol? n) (symbol->string n) n))
                               (cons (window-start w) (window-end w))))
                       windows)
                  (engine-options 'trace-metrics group-by filter percentiles threads #f)))

(define* (time-series traces start end #:key (bucket "1m") group-by
                      (filter '((kind . server))) (percentiles 'linear) (threads 0))
  "The metrics of TRACES in buckets of BUCKET (nanoseconds or a duration
such as @code{\"1m\"}) over [START, END), per group: a list, one entry per
bucket, of @code{(start . cells)} where cells is the vector of
@code{trace-metrics} for that bucket (empty when nothing happened)."
  (let* ((buckets (time-buckets start end (duration->ns bucket 'time-series)))
         (cells (vector->list
                 (trace-metrics traces buckets #:group-by group-by #:filter filter
                                #:percentiles percentiles #:threads threads))))
    (map (lambda (w)
           (cons (window-start w)
                 (list->vector
                  (filter-cells (lambda (c) (equal? (assq-ref c 'window) (window-name w)))
                                cells))))
         buckets)))

(define filter-cells filter)

;;; ---- statistics ----

(define* (quantiles values qs #:key (method 'linear))
  "The quantiles QS (reals in [0, 1]) of VALUES (a list or vector of
reals), computed by selection: @code{linear} interpolation between the two
nearest ranks (R's type 7, numpy's default) or @code{nearest-rank}.  #f for
each when VALUES is empty."
  (%quantiles values qs method))

(define* (mann-whitney-test x y #:key (conf-level 0.95) (method 'auto))
  "The two-sided Mann-Whitney U test of X against Y (lists or vectors of
reals) with the Hodges-Lehmann estimate of the shift of X from Y and its
confidence interval, as R's @code{wilcox.test(x, y, conf.int = TRUE)}: an
alist of @code{u}, @code{p-value}, @code{method} (@code{exact} for small
samples without ties, else @code{normal} with tie and continuity
correction), @code{z}, @code{estimate}, @code{ci-low}, @code{ci-high},
@code{conf-level}, @code{achieved-level} and @code{prob-greater}.  In the
exact case the estimate is the median of the pairwise differences and the
interval R's order statistics of them; otherwise, as R, the interval ends
are the shifts d where the continuity-corrected standardized statistic of
X - d against Y equals the normal quantiles, and the estimate the shift
where the uncorrected statistic is 0 (roots to within 1e-4)."
  (%mann-whitney x y conf-level method))

(define* (two-proportion-test x1 n1 x2 n2 #:key (conf-level 0.95))
  "Compare X1 successes out of N1 with X2 out of N2: the pooled z test
(two-sided) and Newcombe's hybrid score interval for the difference, as an
alist of @code{difference}, @code{ratio}, @code{z}, @code{p-value},
@code{ci-low}, @code{ci-high} and @code{conf-level}."
  (%two-proportion x1 n1 x2 n2 conf-level))

;;; ---- correlation ----

(define-record-type <correlation-result>
  (%make-correlation-result alist json)
  correlation-result?
  (alist correlation-result->alist)
  (json correlation-result-json-text))

(define (correlation-result->json r)
  "The result R as JSON text, as the C library wrote it: the same keys as
@code{correlation-result->alist}, with JSON's true, false and null."
  (correlation-result-json-text r))

(set-record-type-printer!
 <correlation-result>
 (lambda (r port)
   (let ((d (correlation-result-deployment r)))
     (format port "#<correlation-result ~a ~a ~a score ~a>"
             (assq-ref d 'service) (assq-ref d 'version)
             (or (correlation-result-verdict r) 'unjudged)
             (let ((s (correlation-result-score r)))
               (if s (/ (round (* 10 s)) 10.0) "-"))))))

(define (field r key) (assq-ref (correlation-result->alist r) key))

(define (correlation-result-deployment r)
  "The deployment the result R is about, as an alist."
  (field r 'deployment))

(define (correlation-result-judge r)
  "The judge's result: verdict, score, reason, thresholds, group scores and
each metric's classification with every figure behind it; #f when not judged."
  (field r 'judge))

(define (correlation-result-verdict r)
  "The verdict of R: @code{pass}, @code{marginal}, @code{fail} or
@code{inconclusive} (too few requests on a side, or no data for a critical
metric: the judge's @code{reason} says what was missing); #f when the
correlation was not judged."
  (let ((j (correlation-result-judge r)))
    (and j (string->symbol (assq-ref j 'verdict)))))

(define (correlation-result-score r)
  "The judge's score of R (0 to 100), or #f."
  (let ((j (correlation-result-judge r)))
    (and j (assq-ref j 'score))))

(define (correlation-result-windows r)
  "The windows of R: a vector of alists with @code{name}, @code{start} and
@code{end} (nanoseconds)."
  (field r 'windows))

(define (correlation-result-metrics r)
  "The metrics of R per window and group (see @code{trace-metrics})."
  (field r 'metrics))

(define (correlation-result-comparison r)
  "What was compared (@code{mode}, @code{control}, @code{experiment}) and
how: the @code{overall} comparison and one per group, each with the
absolute and relative change of every figure, the Mann-Whitney test of
latency and the two-proportion test of errors."
  (field r 'comparison))

(define (correlation-result-canary r)
  "For a canary: each percentile's baseline and canary values with the
change and the judge's classification, and the operations that moved most;
#f otherwise."
  (field r 'canary))

(define (correlation-result-propagation r)
  "The rollout across regions: per region when it first served the new
version, the lag after the start, when it was complete and the share of
requests on the new version per bucket; and the regions never reached."
  (field r 'propagation))

(define (correlation-result-new-error-types r)
  "The error types of the new version that the old one did not show in the
baseline, most frequent first."
  (field r 'new-error-types))

(define (judge-option who judge)
  (cond ((not judge) 'none)
        ((eq? judge #t) #f)
        ((judge-config? judge) (judge-config->alist judge))
        (else (raise-deploy-ledger-error
               'invalid-input who
               (format #f "#:judge must be a judge configuration, #t or #f, got ~s" judge)))))

(define* (correlate deployment traces #:key window (windows '()) group-by
                    (filter '((kind . server))) (judge #t) (compare 'auto)
                    control-version bucket propagation-bucket (top-operations 5)
                    min-requests max-window (percentiles 'linear) (threads 0) now
                    prometheus)
  "Correlate DEPLOYMENT (a deployment event) with TRACES (a trace set);
see @code{correlate-with-traces} in @code{(deploy-ledger integrations
tracing)} for the arguments.  With PROMETHEUS (a source of
@code{(deploy-ledger prometheus)}) the mesh's metrics are correlated too,
and TRACES may be #f.  Returns a correlation result."
  (let ((who 'correlate-with-traces))
    (unless (deployment-event? deployment)
      (raise-deploy-ledger-error 'invalid-input who
                                 (format #f "expected a deployment event, got ~s" deployment)))
    (let* ((options
            (append
             (engine-options who group-by filter percentiles threads (->ns now who))
             `((window . ,(duration->ns window who))
               (windows . ,(map (lambda (w)
                                  (cons (let ((n (window-name w)))
                                          (if (symbol? n) (symbol->string n) n))
                                        (cons (window-start w) (window-end w))))
                                windows))
               (judge . ,(judge-option who judge))
               (compare . ,compare)
               (control-version . ,control-version)
               (bucket . ,(duration->ns bucket who))
               (propagation-bucket . ,(duration->ns propagation-bucket who))
               (top-operations . ,top-operations)
               (min-requests . ,min-requests)
               (max-window . ,(duration->ns max-window who)))))
           (answer (if prometheus
                       (%correlate-prometheus traces (deployment-event->c deployment) options
                                              prometheus)
                       (%correlate traces (deployment-event->c deployment) options))))
      (%make-correlation-result (car answer) (cdr answer)))))

(define* (deployment-metrics deployment traces #:key group-by (filter '((kind . server)))
                             (percentiles 'linear) (threads 0) (now (current-time-ns)))
  "The metrics of DEPLOYMENT's own window, from its start to its
completion (or NOW), per group: a list of alists (see @code{trace-metrics})."
  (let ((during (assq 'during (deployment-windows deployment #:now now)))
        (service (deployment-event-service-name deployment)))
    (vector->list
     (trace-metrics traces (list during) #:group-by group-by
                    #:filter (if (assq 'service filter)
                                 filter
                                 (cons (cons 'service service) filter))
                    #:percentiles percentiles #:threads threads))))

(define (verdict->exit-status verdict)
  "The exit status the command line gives VERDICT: 0 for @code{pass}, 10
for @code{marginal}, 11 for @code{fail} (and when there is no verdict), 12
for @code{inconclusive} (too little data to judge).  They stay clear of the
statuses the command uses for errors (1 to 9), so a CI step can tell a
failed canary from a missing file, and either from a canary that got no
traffic."
  (case verdict
    ((pass) 0)
    ((marginal) 10)
    ((inconclusive) 12)
    (else 11)))

(define (spans->trace-set spans)
  "A trace set holding SPANS, a list of alists with @code{service},
@code{operation}, @code{version}, @code{region}, @code{kind} (a symbol,
default @code{server}), @code{start} and @code{duration} (nanoseconds),
@code{error} (a boolean) and @code{error-type}: for tests and experiments at
the REPL."
  (%spans->trace-set spans))
