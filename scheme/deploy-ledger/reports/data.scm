;;; The report as plain data: what every format renders, and what the JSON
;;; format writes as it is (schema deploy-ledger/report/v1).  Every figure
;;; comes from the correlation result or from the C library's time series;
;;; this module only chooses, renames and converts units (latencies to
;;; milliseconds, times to RFC 3339), so no format computes anything.
(define-module (deploy-ledger reports data)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 match)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger traces)
  #:use-module (deploy-ledger correlation)
  #:export (%report-schema
            make-report
            report?
            report-ref
            trace-link))

(define %report-schema "deploy-ledger/report/v1")

(define (report? obj)
  "True when OBJ is report data made by @code{make-report}."
  (and (pair? obj) (pair? (car obj))
       (equal? (assq-ref obj 'schema) %report-schema)))

(define (report-ref report . keys)
  "The value under the path KEYS (symbols) in REPORT, or #f where a key is
missing or a value is null."
  (let loop ((value report) (keys keys))
    (cond ((null? keys) (if (eq? value 'null) #f value))
          ((and (pair? value) (pair? (car value)))
           (let ((entry (assq (car keys) value)))
             (and entry (loop (cdr entry) (cdr keys)))))
          (else #f))))

;;; ---- units ----

(define (ms ns)
  "Nanoseconds as milliseconds, rounded to the microsecond; null when not a number."
  (if (and (real? ns) (finite? ns)) (/ (round (/ ns 1000.0)) 1000.0) 'null))

(define (seconds ns)
  (if (real? ns) (/ ns 1e9) 'null))

(define (time ns)
  (if (exact-integer? ns) (ns->rfc3339 ns) 'null))

(define (num x)
  (if (and (real? x) (finite? x)) x 'null))

(define (text x)
  (cond ((string? x) x)
        ((symbol? x) (symbol->string x))
        ((not x) 'null)
        (else (format #f "~a" x))))

(define (vec f v)
  "F applied to each element of V (a vector, a list or #f), as a vector."
  (list->vector (map f (cond ((vector? v) (vector->list v)) ((list? v) v) (else '())))))

(define (get alist key)
  (and (pair? alist) (assq-ref alist key)))

;;; ---- parts ----

(define (deployment-part d result)
  (let ((context (deployment-event-trace-context d)))
    `((id . ,(deployment-event-id d))
      (service . ,(deployment-event-service-name d))
      (version . ,(deployment-event-version d))
      (previous-version . ,(text (deployment-event-previous-version d)))
      (type . ,(text (deployment-event-deployment-type d)))
      (environment . ,(text (deployment-event-environment d)))
      (regions . ,(list->vector (deployment-event-regions d)))
      (status . ,(text (deployment-event-status d)))
      (started . ,(time (deployment-event-started d)))
      (completed . ,(time (deployment-event-completed d)))
      (traceparent . ,(if context (trace-context->traceparent context) 'null))
      (commit . ,(text (deployment-event-commit d)))
      (actor . ,(text (deployment-event-actor d))))))

(define (verdict-part result)
  (let ((judge (correlation-result-judge result)))
    (if judge
        `((verdict . ,(get judge 'verdict))
          (score . ,(num (get judge 'score)))
          (reason . ,(text (get judge 'reason)))
          (pass-threshold . ,(num (get judge 'pass-threshold)))
          (marginal-threshold . ,(num (get judge 'marginal-threshold)))
          (exit-status . ,(verdict->exit-status (correlation-result-verdict result))))
        `((verdict . "none") (score . null) (reason . "the correlation was not judged")
          (pass-threshold . null) (marginal-threshold . null)
          (exit-status . ,(verdict->exit-status #f))))))

(define latency-figures '(mean p50 p90 p95 p99 max))

(define (figure-value figure x)
  (if (memq figure latency-figures) (ms x) (num x)))

(define (figures-part figures)
  "The comparison's figures as a vector of rows, in a fixed order."
  (list->vector
   (filter-map
    (lambda (figure)
      (let ((cell (get figures figure)))
        (and cell
             `((figure . ,(symbol->string figure))
               (control . ,(figure-value figure (get cell 'control)))
               (experiment . ,(figure-value figure (get cell 'experiment)))
               (change . ,(figure-value figure (get cell 'change)))
               (relative-change . ,(num (get cell 'relative-change)))))))
    '(count throughput error-rate mean p50 p90 p95 p99 max))))

(define (test-part t estimate unit)
  "Test T of the comparison (or #f): its ESTIMATE and interval in UNIT (a
procedure), its confidence level and p-value; null without a test."
  (if (and t (real? (get t estimate)))
      `((,estimate . ,(unit (get t estimate)))
        (ci-low . ,(unit (get t 'ci-low)))
        (ci-high . ,(unit (get t 'ci-high)))
        (conf-level . ,(num (get t 'conf-level)))
        (p-value . ,(num (get t 'p-value))))
      'null))

(define (group-part group)
  "A group key (an alist of dimension to value) as an object of strings;
an empty hash table (JSON's @code{@{@}}) for the one group of everything."
  (if (pair? group)
      (map (lambda (kv) (cons (car kv) (text (cdr kv)))) group)
      (make-hash-table)))

(define (comparison-entry c)
  `((figures . ,(figures-part (get c 'figures)))
    (latency-test . ,(test-part (get c 'latency-test) 'shift ms))
    (error-test . ,(test-part (get c 'error-test) 'difference num))))

(define (side-part s)
  `((window . ,(text (get s 'window))) (version . ,(text (get s 'version)))))

(define (comparison-part result)
  (let ((c (correlation-result-comparison result)))
    (if c
        `((mode . ,(text (get c 'mode)))
          (control . ,(side-part (get c 'control)))
          (experiment . ,(side-part (get c 'experiment)))
          (overall . ,(comparison-entry (get c 'overall)))
          (groups . ,(vec (lambda (g) `((group . ,(group-part (get g 'group)))
                                        ,@(comparison-entry g)))
                          (get c 'groups))))
        'null)))

(define (windows-part result)
  (vec (lambda (w) `((name . ,(text (get w 'name)))
                     (start . ,(time (get w 'start)))
                     (end . ,(time (get w 'end)))))
       (correlation-result-windows result)))

(define (cell-part cell)
  ;; Rows from the mesh's metrics say so; trace rows, the usual kind, do not.
  `(,@(let ((source (get cell 'source)))
        (if (and (string? source) (not (string=? source "traces")))
            `((source . ,(text source)))
            '()))
    (window . ,(text (get cell 'window)))
    (group . ,(group-part (get cell 'group)))
    (requests . ,(num (get cell 'count)))
    (errors . ,(num (get cell 'errors)))
    (error-rate . ,(num (get cell 'error-rate)))
    (throughput . ,(num (get cell 'throughput)))
    (mean . ,(ms (get cell 'mean)))
    (p50 . ,(ms (get cell 'p50)))
    (p90 . ,(ms (get cell 'p90)))
    (p95 . ,(ms (get cell 'p95)))
    (p99 . ,(ms (get cell 'p99)))))

(define (metrics-part result)
  (vec cell-part (correlation-result-metrics result)))

(define (judge-part result)
  (let ((judge (correlation-result-judge result)))
    (vec (lambda (m)
           (let ((latency? (member (get m 'figure) '("p50" "p90" "p95" "p99" "mean" "max"))))
             `((metric . ,(text (get m 'metric)))
               (group . ,(text (get m 'group)))
               (critical . ,(if (get m 'critical) #t 'false))
               (classification . ,(text (get m 'classification)))
               (control-median . ,((if latency? ms num) (get m 'control-median)))
               (experiment-median . ,((if latency? ms num) (get m 'experiment-median)))
               (ratio . ,(num (get m 'ratio)))
               (estimate . ,((if latency? ms num) (get m 'estimate)))
               (ci-low . ,((if latency? ms num) (get m 'ci-low)))
               (ci-high . ,((if latency? ms num) (get m 'ci-high)))
               (p-value . ,(num (get m 'p-value)))
               (reason . ,(text (get m 'reason))))))
         (get judge 'metrics))))

(define (canary-part result)
  (let ((c (correlation-result-canary result)))
    (if c
        `((control-version . ,(text (get c 'control-version)))
          (canary-version . ,(text (get c 'canary-version)))
          (percentiles
           . ,(vec (lambda (p)
                     `((percentile . ,(get p 'percentile))
                       (control . ,(ms (get p 'baseline)))
                       (canary . ,(ms (get p 'canary)))
                       (change . ,(ms (get p 'change)))
                       (relative-change . ,(num (get p 'relative-change)))
                       (classification . ,(text (get p 'classification)))))
                   (get c 'percentiles)))
          (operations
           . ,(vec (lambda (op)
                     (let* ((figures (get op 'figures))
                            (p99 (get figures 'p99))
                            (count (get figures 'count)))
                       `((operation . ,(text (get op 'operation)))
                         (moved . ,(num (get op 'moved)))
                         (control-requests . ,(num (get count 'control)))
                         (canary-requests . ,(num (get count 'experiment)))
                         (p99-control . ,(ms (get p99 'control)))
                         (p99-canary . ,(ms (get p99 'experiment)))
                         (p99-relative-change . ,(num (get p99 'relative-change)))
                         (p-value . ,(num (get (get op 'latency-test) 'p-value))))))
                   (get c 'operations))))
        'null)))

(define (last-share shares)
  (let loop ((i (- (vector-length shares) 1)))
    (cond ((< i 0) 'null)
          ((real? (vector-ref shares i)) (vector-ref shares i))
          (else (loop (- i 1))))))

(define (rollout-part result)
  (let* ((p (correlation-result-propagation result))
         (regions (or (get p 'regions) #())))
    ;; A single region without a name is a service that does not say where
    ;; it runs: no rollout to show.
    (if (or (> (vector-length regions) 1)
            (and (= 1 (vector-length regions)) (string? (get (vector-ref regions 0) 'region))))
        `((start . ,(time (get p 'start)))
          (end . ,(time (get p 'end)))
          (bucket-seconds . ,(seconds (get p 'bucket)))
          (regions
           . ,(vec (lambda (r)
                     (let ((share (or (get r 'share) #())))
                       `((region . ,(text (get r 'region)))
                         (reached . ,(if (get r 'reached) #t 'false))
                         (expected . ,(if (get r 'expected) #t 'false))
                         (first-seen . ,(time (get r 'first-seen)))
                         (lag-seconds . ,(seconds (get r 'lag)))
                         (complete-at . ,(time (get r 'complete-at)))
                         (requests . ,(num (get r 'requests)))
                         (new-requests . ,(num (get r 'new-requests)))
                         (share-at-end . ,(last-share share))
                         (share . ,(vec (lambda (x) (num x)) share)))))
                   regions))
          (never-reached . ,(vec text (get p 'never-reached))))
        'null)))

;;; ---- the time series and the requests behind the figures ----

(define (series-part d result traces bucket)
  "Latency and errors of the service's requests per bucket, from the start
of the first window to the end of the last, by the C library's
@code{time-series}; with the experiment's version apart for a canary."
  (let* ((windows (vector->list (or (correlation-result-windows result) #())))
         (start (and (pair? windows) (apply min (map (lambda (w) (get w 'start)) windows))))
         (end (and (pair? windows) (apply max (map (lambda (w) (get w 'end)) windows)))))
    (if (and traces start end (< start end))
        (let* ((width (or bucket (max 1000000000 (quotient (- end start) 60))))
               (filter `((service . ,(deployment-event-service-name d)) (kind . server)))
               (canary (correlation-result-canary result))
               (points
                (lambda (version)
                  (list->vector
                   (map (match-lambda
                          ((t . cells)
                           (let ((cell (find (lambda (c)
                                               (or (not version)
                                                   (equal? (get (get c 'group) 'version) version)))
                                             (vector->list cells))))
                             `((start . ,(time t))
                               (requests . ,(if cell (get cell 'count) 0))
                               (error-rate . ,(if cell (num (get cell 'error-rate)) 'null))
                               (p50 . ,(if cell (ms (get cell 'p50)) 'null))
                               (p95 . ,(if cell (ms (get cell 'p95)) 'null))
                               (p99 . ,(if cell (ms (get cell 'p99)) 'null))))))
                        (time-series traces start end #:bucket width #:filter filter
                                     #:group-by (and version '(version))))))))
          `((start . ,(time start))
            (end . ,(time end))
            (bucket-seconds . ,(seconds width))
            (all . ,(points #f))
            ,@(if canary
                  `((control-version . ,(text (get canary 'control-version)))
                    (control . ,(points (get canary 'control-version)))
                    (canary-version . ,(text (get canary 'canary-version)))
                    (canary . ,(points (get canary 'canary-version))))
                  '())))
        'null)))

(define (trace-link ui-url trace-id)
  "The address of TRACE-ID in the tracing UI at UI-URL: UI-URL with
@code{@{trace-id@}} replaced when it holds that placeholder (Grafana and
other UIs), else Jaeger's @code{UI-URL/trace/TRACE-ID}; #f without a UI."
  (and ui-url trace-id
       (let ((at (string-contains ui-url "{trace-id}")))
         (if at
             (string-append (substring ui-url 0 at) trace-id
                            (substring ui-url (+ at (string-length "{trace-id}"))))
             (string-append (string-trim-right ui-url #\/) "/trace/" trace-id)))))

(define (request-entry span ui-url)
  `((trace-id . ,(text (assq-ref span 'trace-id)))
    (span-id . ,(text (assq-ref span 'span-id)))
    (operation . ,(text (assq-ref span 'operation)))
    (region . ,(text (assq-ref span 'region)))
    (start . ,(time (assq-ref span 'start)))
    (duration . ,(ms (assq-ref span 'duration)))
    (error-type . ,(if (assq-ref span 'error?) (text (assq-ref span 'error-type)) 'null))
    (link . ,(or (trace-link ui-url (assq-ref span 'trace-id)) 'null))))

(define (take-up-to lst n) (if (> (length lst) n) (take lst n) lst))

(define (requests-after d result traces ui-url top)
  "The slowest and the failing requests of the new version since the
deployment started (server spans of its service), TOP of each: the trace
set is the only place that knows their trace ids."
  (let* ((windows (vector->list (or (correlation-result-windows result) #())))
         (end (and (pair? windows) (apply max (map (lambda (w) (get w 'end)) windows))))
         (spans (if (and traces end (< (deployment-event-started d) end))
                    (trace-set->list
                     (trace-set-filter traces #:service (deployment-event-service-name d)
                                       #:kind 'server #:version (deployment-event-version d)
                                       #:start (deployment-event-started d) #:end end))
                    '()))
         (by-duration (lambda (a b)
                        (let ((x (assq-ref a 'duration)) (y (assq-ref b 'duration)))
                          (or (> x y)
                              (and (= x y) (string<? (text (assq-ref a 'trace-id))
                                                     (text (assq-ref b 'trace-id))))))))
         (by-start (lambda (a b) (< (assq-ref a 'start) (assq-ref b 'start))))
         (failing (sort (filter (lambda (s) (assq-ref s 'error?)) spans) by-start)))
    (values
     `((ui-url . ,(or ui-url 'null))
       (version . ,(deployment-event-version d))
       (since . ,(time (deployment-event-started d)))
       (requests . ,(length spans))
       (slowest . ,(list->vector (map (lambda (s) (request-entry s ui-url))
                                      (take-up-to (sort spans by-duration) top))))
       (failing . ,(list->vector (map (lambda (s) (request-entry s ui-url))
                                      (take-up-to failing top)))))
     failing)))

(define (new-errors-part result failing ui-url)
  (let ((e (correlation-result-new-error-types result)))
    (vec (lambda (t)
           (let ((example (find (lambda (s) (equal? (assq-ref s 'error-type) (get t 'type)))
                                failing)))
             `((type . ,(text (get t 'type)))
               (count . ,(num (get t 'count)))
               (first-seen . ,(time (get t 'first-seen)))
               (operation . ,(text (get t 'operation)))
               (example . ,(if example (request-entry example ui-url) 'null)))))
         (get e 'types))))

;;; ---- the report ----

(define* (make-report result #:key deployment traces ui-url bucket (top 5))
  "The report of correlation RESULT for DEPLOYMENT (the deployment event
correlated) as plain data: an alist in the shape of schema
@code{deploy-ledger/report/v1} (see the manual), with latencies in
milliseconds and times in RFC 3339.  TRACES, the trace set correlated, adds
the time series of the charts (buckets of BUCKET, a duration; by default a
sixtieth of the windows' range) and the TOP slowest and failing requests of
the new version since the start, linked into the tracing UI at UI-URL
(see @code{trace-link})."
  (let ((who 'make-report))
    (unless (correlation-result? result)
      (raise-deploy-ledger-error 'invalid-input who
                                 (format #f "expected a correlation result, got ~s" result)))
    (unless (deployment-event? deployment)
      (raise-deploy-ledger-error
       'invalid-input who
       (format #f "#:deployment must be the deployment event that was correlated, got ~s"
               deployment)))
    (unless (equal? (get (correlation-result-deployment result) 'id) (deployment-event-id deployment))
      (raise-deploy-ledger-error
       'invalid-input who
       (format #f "the correlation result is about deployment ~a, not ~a: pass the event it was made from"
               (get (correlation-result-deployment result) 'id) (deployment-event-id deployment))))
    (unless (or (not traces) (trace-set? traces))
      (raise-deploy-ledger-error 'invalid-input who
                                 (format #f "#:traces must be a trace set, got ~s" traces)))
    (unless (and (exact-integer? top) (>= top 0))
      (raise-deploy-ledger-error 'invalid-input who
                                 (format #f "#:top must be a count of requests, got ~s" top)))
    (let ((bucket (duration->ns bucket who)))
      (call-with-values
          (lambda () (requests-after deployment result traces ui-url top))
        (lambda (requests failing)
          `((schema . ,%report-schema)
            (deployment . ,(deployment-part deployment result))
            (verdict . ,(verdict-part result))
            (windows . ,(windows-part result))
            (comparison . ,(comparison-part result))
            (metrics . ,(metrics-part result))
            (judge . ,(judge-part result))
            (canary . ,(canary-part result))
            (rollout . ,(rollout-part result))
            (new-error-types . ,(new-errors-part result failing ui-url))
            (series . ,(series-part deployment result traces bucket))
            (requests . ,requests)))))))
