;;; (deploy-ledger correlation) and correlate-with-traces from
;;; (deploy-ledger integrations tracing).
(use-modules (tap)
             (srfi srfi-1)
             (srfi srfi-64)
             (deploy-ledger core errors)
             (deploy-ledger core types)
             (deploy-ledger correlation)
             (deploy-ledger traces)
             (deploy-ledger integrations tracing))

(define T0 1705309200000000000)           ; 2024-01-15T09:00:00Z
(define MIN 60000000000)
(define MS 1000000)

(test-begin "correlation")

;;; Statistics.
(test-equal "quantiles of 1..10 (R: 5.50 9.10 9.55 9.91)"
  '(5.5 9.1 9.55 9.91)
  (map (lambda (x) (/ (round (* x 100)) 100.0))
       (quantiles (iota 10 1) '(0.5 0.9 0.95 0.99))))
(test-equal "nearest-rank quantiles of 1..10" '(5.0 9.0 10.0)
  (quantiles #(10 9 8 7 6 5 4 3 2 1) '(0.5 0.9 0.95) #:method 'nearest-rank))
(test-equal "no values: #f" '(#f) (quantiles '() '(0.5)))
(test-raises "quantile out of range" deploy-ledger-error? (quantiles '(1 2) '(2)))

;; Hollander and Wolfe (1973) p. 69, the example of R's ?wilcox.test.
(define hw (mann-whitney-test '(0.80 0.83 1.89 1.04 1.45 1.38 1.91 1.64 0.73 1.46)
                              '(1.15 0.88 0.90 0.74 1.21)))
(test-equal "H&W: W = 35" 35.0 (assq-ref hw 'u))
(test-approximate "H&W: two-sided exact p = 2 x 0.1272" 0.2544 (assq-ref hw 'p-value) 1e-4)
(test-eq "H&W: exact" 'exact (assq-ref hw 'method))
(test-approximate "H&W: shift 0.305" 0.305 (assq-ref hw 'estimate) 1e-9)
(test-approximate "H&W: interval from -0.15" -0.15 (assq-ref hw 'ci-low) 1e-9)
(test-approximate "H&W: interval to 0.76" 0.76 (assq-ref hw 'ci-high) 1e-9)
(test-raises "empty sample" deploy-ledger-error? (mann-whitney-test '() '(1 2)))

;; Newcombe (1998), example (a): 56/70 against 48/80.
(define np (two-proportion-test 56 70 48 80))
(test-approximate "Newcombe (a): lower 0.0524" 0.0524 (assq-ref np 'ci-low) 5e-5)
(test-approximate "Newcombe (a): upper 0.3339" 0.3339 (assq-ref np 'ci-high) 5e-5)
(test-approximate "difference 0.2" 0.2 (assq-ref np 'difference) 1e-12)

;;; The judge's configuration.
(define cfg (default-judge-config))
(test-equal "default metrics"
  '("latency-p50" "latency-p90" "latency-p95" "latency-p99" "error-rate")
  (map judge-metric-name (judge-config-metrics cfg)))
(test-equal "critical: p99 and error-rate" '("latency-p99" "error-rate")
  (map judge-metric-name (filter judge-metric-critical? (judge-config-metrics cfg))))
(test-equal "thresholds 95 and 75" '(95 75)
  (list (judge-config-pass-threshold cfg) (judge-config-marginal-threshold cfg)))
(test-equal "error-rate in group errors" "errors"
  (judge-metric-group (make-judge-metric 'error-rate)))
(test-eq "throughput: a decrease is bad" 'decrease
  (judge-metric-direction (make-judge-metric 'throughput)))
(test-raises "unknown figure" deploy-ledger-error? (make-judge-metric 'p42))
(test-raises "unknown direction" deploy-ledger-error? (make-judge-metric 'p50 #:direction 'up))
(test-raises "marginal above pass" deploy-ledger-error?
  (make-judge-config #:pass-threshold 70 #:marginal-threshold 80))
(test-raises "weights not an alist" deploy-ledger-error? (make-judge-config #:weights '(1 2)))
(test-equal "config as alist" 95 (assq-ref (judge-config->alist cfg) 'pass-threshold))
(test-equal "(deploy-ledger correlation) re-exports every name of (deploy-ledger judge)"
  '()
  (let ((names (lambda (m) (module-map (lambda (name var) name) (resolve-interface m)))))
    (lset-difference eq? (names '(deploy-ledger judge)) (names '(deploy-ledger correlation)))))
(test-eq "the same procedure from either module" make-judge-metric
  (@ (deploy-ledger judge) make-judge-metric))

;;; Windows.
(define canary (make-deployment-event #:service-name "checkout" #:version "v2"
                                      #:previous-version "v1" #:deployment-type 'canary
                                      #:started (+ T0 (* 60 MIN))
                                      #:completed (+ T0 (* 90 MIN))
                                      #:regions '("us-east-1")))
(define windows (deployment-windows canary))
(test-equal "baseline [S - 30m, S)" (cons (+ T0 (* 30 MIN)) (+ T0 (* 60 MIN)))
  (cdr (assq 'baseline windows)))
(test-equal "during [S, C]" (cons (+ T0 (* 60 MIN)) (+ T0 (* 90 MIN) 1))
  (cdr (assq 'during windows)))
(test-equal "after (C, C + W]" (cons (+ T0 (* 90 MIN) 1) (+ T0 (* 120 MIN) 1))
  (cdr (assq 'after windows)))
(test-equal "explicit width" (+ T0 (* 45 MIN))
  (window-start (assq 'baseline (deployment-windows canary #:width "15m"))))
(test-equal "buckets of a minute over 5 minutes" 5
  (length (time-buckets T0 (+ T0 (* 5 MIN)) "1m")))

;;; Generated traces: 20 requests a second for two hours; from T0 + 60 min
;;; the canary v2 takes 10% for 30 minutes.  Its p99 regressed: 8% of its
;;; GET /search requests take four times longer.  It also throws a rare new
;;; exception.  A pseudo-random sequence keeps the
;;; test reproducible.
(define seed 12345)
(define (rand)
  (set! seed (modulo (+ (* seed 1103515245) 12345) 2147483648))
  (/ seed 2147483648.0))
(define (lognormal median)
  (let ((z (* (sqrt (* -2 (log (- 1 (rand))))) (cos (* 2 3.141592653589793 (rand))))))
    (inexact->exact (round (* median MS (exp (* 0.4 z)))))))
(define spans
  (let loop ((t T0) (acc '()))
    (if (>= t (+ T0 (* 120 MIN)))
        acc
        (let* ((canary? (and (>= t (+ T0 (* 60 MIN))) (< t (+ T0 (* 90 MIN))) (< (rand) 0.1)))
               (search? (< (rand) 0.6))
               (d (lognormal (if search? 40 80)))
               (d (if (and canary? search? (< (rand) 0.08)) (* 4 d) d))
               (npe? (and canary? (< (rand) 0.001))))
          (loop (+ t (* 50 MS))
                (cons `((service . "checkout")
                        (operation . ,(if search? "GET /search" "POST /pay"))
                        (version . ,(if canary? "v2" "v1"))
                        (region . "us-east-1")
                        (start . ,t) (duration . ,d)
                        (error . ,(or npe? (< (rand) 0.01)))
                        (error-type . ,(if npe? "NullPointerException" "HTTP 503 /search")))
                      acc))))))
(define traces (spans->trace-set spans))
(test-assert "spans->trace-set makes a trace set of (deploy-ledger traces)" (trace-set? traces))
(test-equal "holding every span" (length spans) (trace-set-count traces))
(test-equal "whose filters apply to it"
  (count (lambda (s) (string=? "v2" (assq-ref s 'version))) spans)
  (trace-set-count (trace-set-filter traces #:version "v2")))

(define r (correlate-with-traces canary traces))
(test-assert "a correlation result" (correlation-result? r))
(test-eq "canary with a p99 regression: fail" 'fail (correlation-result-verdict r))
(test-equal "score 0 (critical metric)" 0.0 (correlation-result-score r))
(define (percentile p)
  (find (lambda (x) (= p (assq-ref x 'percentile)))
        (vector->list (assq-ref (correlation-result-canary r) 'percentiles))))
(test-equal "p50: pass" "pass" (assq-ref (percentile 50) 'classification))
(test-equal "p99: high" "high" (assq-ref (percentile 99) 'classification))
(test-assert "p50 within 5%" (< (abs (assq-ref (percentile 50) 'relative-change)) 0.05))
(test-equal "GET /search moved most" "GET /search"
  (assq-ref (vector-ref (assq-ref (correlation-result-canary r) 'operations) 0) 'operation))
(test-equal "NullPointerException is a new error type" "NullPointerException"
  (assq-ref (vector-ref (assq-ref (correlation-result-new-error-types r) 'types) 0) 'type))
(test-equal "the comparison: canary" "canary"
  (assq-ref (correlation-result-comparison r) 'mode))
(test-equal "control version v1" "v1"
  (assq-ref (assq-ref (correlation-result-comparison r) 'control) 'version))
(test-equal "three windows" 3 (vector-length (correlation-result-windows r)))
(test-equal "every figure behind the verdict: five judged metrics" 5
  (vector-length (assq-ref (correlation-result-judge r) 'metrics)))
(test-assert "each with its interval and p-value"
  (every (lambda (m) (and (real? (assq-ref m 'ci-low)) (real? (assq-ref m 'p-value))))
         (vector->list (assq-ref (correlation-result-judge r) 'metrics))))
(test-equal "us-east-1 first served v2 at the start or just after" "us-east-1"
  (assq-ref (vector-ref (assq-ref (correlation-result-propagation r) 'regions) 0) 'region))
(test-equal "the alist has every part"
  '(deployment now window-width windows group-by metrics comparison judge canary
    propagation new-error-types)
  (map car (correlation-result->alist r)))
(test-assert "the JSON text" (string-prefix? "{\"deployment\":{\"id\":" (correlation-result->json r)))
(test-assert "with false, not null, for booleans" (string-contains (correlation-result->json r) "\"must-have-data\":false"))
(test-equal "exit status for fail" 11 (verdict->exit-status (correlation-result-verdict r)))
(test-equal "exit status for marginal" 10 (verdict->exit-status 'marginal))
(test-equal "exit status for pass" 0 (verdict->exit-status 'pass))

;; Judged before-after instead, the after window is all v1 again: pass.
(test-eq "before-after: pass" 'pass
  (correlation-result-verdict (correlate-with-traces canary traces #:compare 'before-after)))
;; Not judged.
(test-eq "#:judge #f: no verdict" #f
  (correlation-result-verdict (correlate-with-traces canary traces #:judge #f)))
;; A lenient judge: p99 allowed to double.
(define lenient
  (make-judge-config #:metrics (list (make-judge-metric 'p50)
                                     (make-judge-metric 'p99 #:allowed-increase 5.0)
                                     (make-judge-metric 'error-rate))))
(test-eq "a judge that allows p99 to rise: pass" 'pass
  (correlation-result-verdict (correlate-with-traces canary traces #:judge lenient)))
;; Grouped.
(define by-op (correlate-with-traces canary traces #:group-by '(operation)))
(test-equal "grouped by operation: two comparisons" 2
  (vector-length (assq-ref (correlation-result-comparison by-op) 'groups)))
(test-equal "group-by recorded" #("operation")
  (assq-ref (correlation-result->alist by-op) 'group-by))

;;; Metrics of the deployment's window.
(define m (collect-deployment-metrics canary traces #:group-by '(version)))
(test-equal "deployment window: v1 and v2" '("v1" "v2")
  (map (lambda (c) (assq-ref (assq-ref c 'group) 'version)) m))
(test-assert "v2 about 10% of 36000" (< 3000 (assq-ref (second m) 'count) 4300))
(test-equal "all in the during window" '("during" "during") (map (lambda (c) (assq-ref c 'window)) m))

;;; Time series.
(define ts (time-series traces (+ T0 (* 55 MIN)) (+ T0 (* 65 MIN)) #:bucket "5m"
                        #:group-by '(version)))
(test-equal "two buckets" 2 (length ts))
(test-equal "before the deployment only v1" 1 (vector-length (cdr (first ts))))
(test-equal "after it v1 and v2" 2 (vector-length (cdr (second ts))))

;;; Bad input names what is wrong.
(test-raises "not a deployment" deploy-ledger-error? (correlate-with-traces 42 traces))
(test-raises "bad #:group-by" deploy-ledger-error?
  (correlate-with-traces canary traces #:group-by 42))
(test-raises "unknown group-by attribute (not kept)" deploy-ledger-error?
  (correlate-with-traces canary traces #:group-by '(http.route)))
(test-raises "bad filter" deploy-ledger-error?
  (correlate-with-traces canary traces #:filter '((colour . "red"))))
(test-raises "unknown kind" deploy-ledger-error?
  (correlate-with-traces canary traces #:filter '((kind . sideways))))
(test-raises "unknown comparison" deploy-ledger-error?
  (correlate-with-traces canary traces #:compare 'sideways))
(test-raises "not a trace set" (lambda (e) #t) (correlate-with-traces canary '()))
(test-raises "bad window" deploy-ledger-error?
  (correlate-with-traces canary traces #:window "soon"))

;;; No data is not a failure.
(define (canary-of version completed)
  (make-deployment-event #:service-name "checkout" #:version version
                         #:previous-version "v1" #:deployment-type 'canary
                         #:started (+ T0 (* 60 MIN)) #:completed completed))
(define typo (correlate-with-traces (canary-of "2.0" (+ T0 (* 90 MIN))) traces))
(test-eq "a version typo: inconclusive, not fail" 'inconclusive (correlation-result-verdict typo))
(test-eq "no score" #f (correlation-result-score typo))
(test-equal "the reason names the version and the versions seen"
  "no spans of version 2.0 of checkout in the traces during the deployment (versions seen: v1, v2): check the deployment's version"
  (assq-ref (correlation-result-judge typo) 'reason))
(test-equal "exit status 12" 12 (verdict->exit-status (correlation-result-verdict typo)))
;; Twenty seconds of canary: about 40 v2 requests, fewer than 50.
(define short (canary-of "v2" (+ T0 (* 60 MIN) (* 20 1000000000))))
(define tiny (correlate-with-traces short traces))
(test-eq "a tiny sample: inconclusive" 'inconclusive (correlation-result-verdict tiny))
(test-assert "the reason gives the counts and the minimum"
  (string-contains (assq-ref (correlation-result-judge tiny) 'reason)
                   "fewer than the 50 each side needs (--min-requests)"))
(test-assert "#:min-requests 10 judges the same sample"
  (memq (correlation-result-verdict (correlate-with-traces short traces #:min-requests 10))
        '(pass marginal fail)))
(test-eq "a critical metric without data: inconclusive" 'inconclusive
  (correlation-result-verdict
   (correlate-with-traces canary traces #:min-requests 0
                          #:judge (make-judge-config
                                   #:metrics (list (make-judge-metric 'p50)
                                                   (make-judge-metric 'p99 #:critical? #t)))
                          #:filter '((kind . server) (operation . "GET /nothing")))))

;;; A deployment left running is refused after #:max-window.
(define running (make-deployment-event #:service-name "checkout" #:version "v2"
                                       #:deployment-type 'rolling #:started T0))
(test-raises "running for two days: refused" deploy-ledger-error?
  (correlate-with-traces running traces #:now (+ T0 (* 48 60 MIN))))
(test-assert "the message names --max-window"
  (with-exception-handler
      (lambda (e)
        (and (deploy-ledger-error? e)
             (string-contains (deploy-ledger-error-message e) "(--max-window)")))
    (lambda () (correlate-with-traces running traces #:now (+ T0 (* 48 60 MIN))) #f)
    #:unwind? #t))
(test-assert "judged up to now within #:max-window"
  (correlation-result? (correlate-with-traces running traces #:now (+ T0 (* 48 60 MIN))
                                              #:max-window "3d")))
(test-raises "deployment-windows #:max-window #t refuses it too" deploy-ledger-error?
  (deployment-windows running #:now (+ T0 (* 48 60 MIN)) #:max-window #t))
(test-equal "exit status for inconclusive" 12 (verdict->exit-status 'inconclusive))

;;; error.type (OpenTelemetry) and error.kind (Jaeger tag) are error types.
(define (write-file name text)
  (let ((path (string-append (or (getenv "TMPDIR") "/tmp") "/" name)))
    (call-with-output-file path (lambda (p) (display text p)))
    path))
(define otlp-error-type
  (write-file (format #f "dl-error-type-~a.json" (getpid))
              "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"0af7651916cd43dd8448eb211c80319c\",\"spanId\":\"b7ad6b7169203331\",\"name\":\"GET /pay\",\"kind\":2,\"startTimeUnixNano\":\"1705312800000000000\",\"endTimeUnixNano\":\"1705312800100000000\",\"attributes\":[{\"key\":\"error.type\",\"value\":{\"stringValue\":\"timeout\"}}],\"status\":{\"code\":2,\"message\":\"deadline exceeded\"}}]}]}]}"))
(define jaeger-error-kind
  (write-file (format #f "dl-error-kind-~a.json" (getpid))
              "{\"data\":[{\"traceID\":\"0af7651916cd43dd8448eb211c80319d\",\"spans\":[{\"traceID\":\"0af7651916cd43dd8448eb211c80319d\",\"spanID\":\"b7ad6b7169203332\",\"operationName\":\"GET /pay\",\"references\":[],\"startTime\":1705312800000000,\"duration\":1000,\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"server\"},{\"key\":\"error\",\"type\":\"bool\",\"value\":true},{\"key\":\"error.kind\",\"type\":\"string\",\"value\":\"ConnectionRefused\"}],\"logs\":[],\"processID\":\"p1\"}],\"processes\":{\"p1\":{\"serviceName\":\"checkout\",\"tags\":[]}}}]}"))
(test-equal "OTLP: error.type is the error type, before the status message" "timeout"
  (assq-ref (car (trace-set->list (load-traces otlp-error-type))) 'error-type))
(test-equal "Jaeger: the error.kind tag is the error type" "ConnectionRefused"
  (assq-ref (car (trace-set->list (load-traces jaeger-error-kind))) 'error-type))
(delete-file otlp-error-type)
(delete-file jaeger-error-kind)

(test-end "correlation")
