;;; The judge's configuration: which metrics it classifies, how, and the
;;; thresholds that turn their classifications into a verdict.  The
;;; judging itself is done in C (src/correlate/judge.c); this module
;;; builds the configuration it reads.
(define-module (deploy-ledger judge)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-9 gnu)
  #:use-module (deploy-ledger core errors)
  #:export (make-judge-metric
            judge-metric?
            judge-metric-figure
            judge-metric-name
            judge-metric-group
            judge-metric-direction
            judge-metric-tolerance
            judge-metric-allowed-increase
            judge-metric-allowed-decrease
            judge-metric-critical?
            judge-metric-must-have-data?
            make-judge-config
            judge-config?
            judge-config-metrics
            judge-config-pass-threshold
            judge-config-marginal-threshold
            judge-config-conf-level
            judge-config-weights
            default-judge-config
            judge-config->alist))

(define-record-type <judge-metric>
  (%make-judge-metric figure name group direction tolerance allowed-increase
                      allowed-decrease critical? must-have-data?)
  judge-metric?
  (figure judge-metric-figure)                  ; symbol: p50 ... throughput
  (name judge-metric-name)                      ; string
  (group judge-metric-group)                    ; string
  (direction judge-metric-direction)            ; increase, decrease or either
  (tolerance judge-metric-tolerance)
  (allowed-increase judge-metric-allowed-increase)
  (allowed-decrease judge-metric-allowed-decrease)
  (critical? judge-metric-critical?)
  (must-have-data? judge-metric-must-have-data?))

(set-record-type-printer!
 <judge-metric>
 (lambda (m port)
   (format port "#<judge-metric ~a ~a ~a~a>" (judge-metric-name m)
           (judge-metric-group m) (judge-metric-direction m)
           (if (judge-metric-critical? m) " critical" ""))))

(define figures '(p50 p90 p95 p99 mean max error-rate throughput))
(define directions '(increase decrease either))

(define* (make-judge-metric figure #:key name group
                            (direction (if (eq? figure 'throughput) 'decrease 'increase))
                            (tolerance 0.25) (allowed-increase 1.1) (allowed-decrease 0.9)
                            critical? must-have-data?)
  "A metric for the judge.  FIGURE is one of @code{p50}, @code{p90},
@code{p95}, @code{p99}, @code{mean}, @code{max} (latency, compared as
per-bucket series with the Mann-Whitney test), @code{error-rate} (compared
as counts with the two-proportion interval) or @code{throughput}.  NAME
defaults to @code{\"latency-p99\"} and the like, GROUP to @code{\"latency\"},
@code{\"errors\"} or @code{\"traffic\"}.  DIRECTION says which change is
bad: @code{increase}, @code{decrease} or @code{either}.  The metric is High
(or Low) when the confidence interval of the change clears TOLERANCE times
the estimated change and the ratio of means exceeds ALLOWED-INCREASE (is
under ALLOWED-DECREASE).  A CRITICAL? metric that fails zeroes the score; a
MUST-HAVE-DATA? metric without data fails."
  (let ((who 'make-judge-metric))
    (check-choice who "figure" figure figures)
    (check-choice who "direction" direction directions)
    (check-real who "tolerance" tolerance (lambda (x) (>= x 0)) "a real >= 0")
    (check-real who "allowed-increase" allowed-increase positive? "a positive real")
    (check-real who "allowed-decrease" allowed-decrease positive? "a positive real")
    (%make-judge-metric
     figure
     (or name (case figure
                ((error-rate throughput) (symbol->string figure))
                (else (string-append "latency-" (symbol->string figure)))))
     (or group (case figure
                 ((error-rate) "errors")
                 ((throughput) "traffic")
                 (else "latency")))
     direction tolerance allowed-increase allowed-decrease
     (and critical? #t) (and must-have-data? #t))))

(define-record-type <judge-config>
  (%make-judge-config metrics pass-threshold marginal-threshold conf-level weights)
  judge-config?
  (metrics judge-config-metrics)
  (pass-threshold judge-config-pass-threshold)
  (marginal-threshold judge-config-marginal-threshold)
  (conf-level judge-config-conf-level)
  (weights judge-config-weights))               ; alist: group name -> percent

(set-record-type-printer!
 <judge-config>
 (lambda (c port)
   (format port "#<judge-config ~a metrics pass ~a marginal ~a>"
           (length (judge-config-metrics c)) (judge-config-pass-threshold c)
           (judge-config-marginal-threshold c))))

(define (default-metrics)
  (list (make-judge-metric 'p50)
        (make-judge-metric 'p90)
        (make-judge-metric 'p95)
        (make-judge-metric 'p99 #:critical? #t)
        (make-judge-metric 'error-rate #:critical? #t)))

(define* (make-judge-config #:key (metrics (default-metrics)) (pass-threshold 95)
                            (marginal-threshold 75) (conf-level 0.95) (weights '()))
  "The judge's configuration: METRICS (a list of @code{make-judge-metric};
by default p50, p90, p95, critical p99 and critical error-rate), the score
at or above which the verdict is pass (PASS-THRESHOLD, 95) or marginal
(MARGINAL-THRESHOLD, 75), the CONF-LEVEL of the intervals (0.95), and
WEIGHTS, an alist of metric group name to percent (groups without a weight
share what is left of 100 equally)."
  (let ((who 'make-judge-config))
    (unless (and (list? metrics) (every judge-metric? metrics))
      (raise-deploy-ledger-error 'invalid-input who
                                 "metrics must be a list of judge metrics"))
    (check-real who "pass-threshold" pass-threshold (lambda (x) (<= 0 x 100)) "between 0 and 100")
    (check-real who "marginal-threshold" marginal-threshold
                (lambda (x) (<= 0 x pass-threshold)) "between 0 and the pass threshold")
    (check-real who "conf-level" conf-level (lambda (x) (< 0 x 1)) "between 0 and 1")
    (unless (and (list? weights)
                 (every (lambda (w) (and (pair? w) (string? (car w)) (real? (cdr w)))) weights))
      (raise-deploy-ledger-error 'invalid-input who
                                 "weights must be an alist of group name to percent"))
    (%make-judge-config metrics pass-threshold marginal-threshold conf-level weights)))

(define (default-judge-config)
  "The default judge: p50, p90, p95, p99 (critical) in group latency,
error-rate (critical) in group errors, thresholds 95 and 75."
  (make-judge-config))

(define (judge-config->alist c)
  "The judge configuration C as an alist (the shape the C library reads)."
  `((metrics . ,(map (lambda (m)
                       `((figure . ,(judge-metric-figure m))
                         (name . ,(judge-metric-name m))
                         (group . ,(judge-metric-group m))
                         (direction . ,(judge-metric-direction m))
                         (tolerance . ,(judge-metric-tolerance m))
                         (allowed-increase . ,(judge-metric-allowed-increase m))
                         (allowed-decrease . ,(judge-metric-allowed-decrease m))
                         (critical . ,(judge-metric-critical? m))
                         (must-have-data . ,(judge-metric-must-have-data? m))))
                     (judge-config-metrics c)))
    (pass-threshold . ,(judge-config-pass-threshold c))
    (marginal-threshold . ,(judge-config-marginal-threshold c))
    (conf-level . ,(judge-config-conf-level c))
    (weights . ,(judge-config-weights c))))
