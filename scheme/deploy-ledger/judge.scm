;;; The judge's configuration: which metrics it classifies, how, and the
;;; thresholds that turn their classifications into a verdict.  The
;;; judging itself is done in C (src/correlate/judge.c); this module
;;; builds the configuration it reads.
(define-module (deploy-ledger judge)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-9 gnu)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core extension)
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

(define (judge-metric->alist m)
  "The judge metric M as an alist, the shape the C library reads."
  `((figure . ,(judge-metric-figure m))
    (name . ,(judge-metric-name m))
    (group . ,(judge-metric-group m))
    (direction . ,(judge-metric-direction m))
    (tolerance . ,(judge-metric-tolerance m))
    (allowed-increase . ,(judge-metric-allowed-increase m))
    (allowed-decrease . ,(judge-metric-allowed-decrease m))
    (critical . ,(judge-metric-critical? m))
    (must-have-data . ,(judge-metric-must-have-data? m))))

(define (alist->judge-metric a)
  "The judge metric of the alist A, as the C library gives it back."
  (%make-judge-metric (assq-ref a 'figure) (assq-ref a 'name) (assq-ref a 'group)
                      (assq-ref a 'direction) (assq-ref a 'tolerance)
                      (assq-ref a 'allowed-increase) (assq-ref a 'allowed-decrease)
                      (assq-ref a 'critical) (assq-ref a 'must-have-data)))

(define (check-type who what value ok? description)
  "Raise an @code{invalid-input} error from WHO unless VALUE, when given
(not #f), satisfies OK?.  The types are Scheme's to check; the ranges and
the defaults are the C library's (src/correlate/judge.c)."
  (when (and value (not (ok? value)))
    (raise-deploy-ledger-error
     'invalid-input who (format #f "~a must be ~a, got ~s" what description value))))

(define* (make-judge-metric figure #:key name group direction tolerance allowed-increase
                            allowed-decrease critical? must-have-data?)
  "A metric for the judge.  FIGURE is one of @code{p50}, @code{p90},
@code{p95}, @code{p99}, @code{mean}, @code{max} (latency, compared as
per-bucket series with the Mann-Whitney test), @code{error-rate} (compared
as counts with the two-proportion interval) or @code{throughput}.  NAME
defaults to @code{\"latency-p99\"} and the like, GROUP to @code{\"latency\"},
@code{\"errors\"} or @code{\"traffic\"}.  DIRECTION says which change is
bad: @code{increase} (the default), @code{decrease} (the default for
throughput) or @code{either}.  The metric is High (or Low) when the
confidence interval of the change clears TOLERANCE (0.25) times the
estimated change and the ratio of means exceeds ALLOWED-INCREASE (1.1; is
under ALLOWED-DECREASE, 0.9).  A CRITICAL? metric that fails zeroes the
score; a MUST-HAVE-DATA? metric without data fails.  The defaults and the
checks are the C library's."
  (let ((who 'make-judge-metric))
    (check-type who "figure" figure symbol? "a symbol such as p99")
    (check-type who "name" name string? "a string")
    (check-type who "group" group string? "a string")
    (check-type who "direction" direction symbol? "increase, decrease or either")
    (check-type who "tolerance" tolerance real? "a real number")
    (check-type who "allowed-increase" allowed-increase real? "a real number")
    (check-type who "allowed-decrease" allowed-decrease real? "a real number")
    (let ((config (%judge-config
                   `((metrics ((figure . ,figure) (name . ,name) (group . ,group)
                               (direction . ,direction) (tolerance . ,tolerance)
                               (allowed-increase . ,allowed-increase)
                               (allowed-decrease . ,allowed-decrease)
                               (critical . ,(and critical? #t))
                               (must-have-data . ,(and must-have-data? #t)))))
                   who)))
      (alist->judge-metric (car (assq-ref config 'metrics))))))

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

(define* (make-judge-config #:key metrics pass-threshold marginal-threshold conf-level
                            (weights '()))
  "The judge's configuration: METRICS (a list of @code{make-judge-metric};
by default p50, p90, p95, critical p99 and critical error-rate), the score
at or above which the verdict is pass (PASS-THRESHOLD, 95) or marginal
(MARGINAL-THRESHOLD, 75), the CONF-LEVEL of the intervals (0.95), and
WEIGHTS, an alist of metric group name to percent (groups without a weight
share what is left of 100 equally).  The defaults and the checks are the C
library's."
  (let ((who 'make-judge-config))
    (check-type who "metrics" metrics (lambda (m) (and (list? m) (every judge-metric? m)))
                "a list of judge metrics")
    (check-type who "pass-threshold" pass-threshold real? "a real number")
    (check-type who "marginal-threshold" marginal-threshold real? "a real number")
    (check-type who "conf-level" conf-level real? "a real number")
    (check-type who "weights" weights
                (lambda (w) (and (list? w)
                                 (every (lambda (x) (and (pair? x) (string? (car x)) (real? (cdr x))))
                                        w)))
                "an alist of group name to percent")
    (alist->judge-config
     (%judge-config `((metrics . ,(and metrics (map judge-metric->alist metrics)))
                      (pass-threshold . ,pass-threshold)
                      (marginal-threshold . ,marginal-threshold)
                      (conf-level . ,conf-level)
                      (weights . ,weights))
                    who))))

(define (alist->judge-config a)
  "The judge configuration of the alist A, as the C library gives it back."
  (%make-judge-config (map alist->judge-metric (assq-ref a 'metrics))
                      (assq-ref a 'pass-threshold) (assq-ref a 'marginal-threshold)
                      (assq-ref a 'conf-level) (assq-ref a 'weights)))

(define (default-judge-config)
  "The default judge, the C library's: p50, p90, p95, p99 (critical) in
group latency, error-rate (critical) in group errors, thresholds 95 and
75."
  (make-judge-config))

(define (judge-config->alist c)
  "The judge configuration C as an alist (the shape the C library reads)."
  `((metrics . ,(map judge-metric->alist (judge-config-metrics c)))
    (pass-threshold . ,(judge-config-pass-threshold c))
    (marginal-threshold . ,(judge-config-marginal-threshold c))
    (conf-level . ,(judge-config-conf-level c))
    (weights . ,(judge-config-weights c))))
