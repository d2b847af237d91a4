;;; The summary `deploy-ledger correlate' prints: the figures that changed,
;;; the judge's reasons, the operations that moved most and, for a rollout
;;; across regions, when each region got the new version.
(define-module (deploy-ledger cli correlation-summary)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger correlation)
  #:export (print-correlation-summary))

(define (ms ns)
  (if (real? ns) (format #f "~,1f ms" (/ ns 1e6)) "-"))

(define (percent x)
  (if (real? x) (format #f "~,2f%" (* 100 x)) "-"))

(define (relative x)
  (if (and (real? x) (finite? x)) (format #f "~,1@f%" (* 100 x)) "-"))

(define (p-value p)
  (if (real? p) (format #f "~,2e" p) "-"))

(define (count-of x)
  (if (real? x) (format #f "~a" (inexact->exact (round x))) "-"))

(define (relative-change cell)
  (relative (assq-ref cell 'relative-change)))

(define (points-change cell)
  ;; A change of a rate, in percentage points.
  (let ((change (assq-ref cell 'change)))
    (if (real? change) (format #f "~,2@f pp" (* 100 change)) "-")))

(define (per-second x)
  (if (real? x) (format #f "~,3f/s" x) "-"))

(define %figures
  ;; Which figure, its label, how to show its values, how to show its change.
  `((count "requests" ,count-of ,relative-change)
    (throughput "throughput" ,per-second ,relative-change)
    (error-rate "error rate" ,percent ,points-change)
    (mean "latency mean" ,ms ,relative-change)
    (p50 "latency p50" ,ms ,relative-change)
    (p90 "latency p90" ,ms ,relative-change)
    (p95 "latency p95" ,ms ,relative-change)
    (p99 "latency p99" ,ms ,relative-change)
    (max "latency max" ,ms ,relative-change)))

(define (print-figures comparison)
  (let* ((overall (assq-ref comparison 'overall))
         (figures (and overall (assq-ref overall 'figures))))
    (when figures
      (format #t "~%~16a ~14a ~14a ~a~%" "FIGURE" "CONTROL" "EXPERIMENT" "CHANGE")
      (for-each
       (lambda (f)
         (let ((cell (assq-ref figures (car f)))
               (show (caddr f)))
           (when cell
             (format #t "~16a ~14a ~14a ~a~%" (cadr f)
                     (show (assq-ref cell 'control)) (show (assq-ref cell 'experiment))
                     ((cadddr f) cell)))))
       %figures)
      (let ((t (assq-ref overall 'latency-test)))
        (when (and t (real? (assq-ref t 'shift)))
          (format #t "latency shift ~a (~a% interval ~a to ~a), Mann-Whitney p = ~a~%"
                  (ms (assq-ref t 'shift))
                  (inexact->exact (round (* 100 (assq-ref t 'conf-level))))
                  (ms (assq-ref t 'ci-low)) (ms (assq-ref t 'ci-high))
                  (p-value (assq-ref t 'p-value))))))))

(define (print-judge judge)
  (let ((metrics (assq-ref judge 'metrics)))
    (when (and metrics (> (vector-length metrics) 0))
      (format #t "~%~16a ~8a ~8a ~10a ~a~%" "METRIC" "RESULT" "RATIO" "P-VALUE" "WHY")
      (for-each
       (lambda (m)
         (format #t "~16a ~8a ~8a ~10a ~a~%"
                 (or (assq-ref m 'metric) "-")
                 (or (assq-ref m 'classification) "-")
                 (let ((x (assq-ref m 'ratio))) (if (real? x) (format #f "~,3f" x) "-"))
                 (p-value (assq-ref m 'p-value))
                 (or (assq-ref m 'reason) "")))
       (vector->list metrics)))))

(define (print-operations canary)
  (let ((ops (and canary (assq-ref canary 'operations))))
    (when (and ops (> (vector-length ops) 0))
      (format #t "~%operations that moved most, ~a against ~a:~%"
              (assq-ref canary 'canary-version) (assq-ref canary 'control-version))
      (format #t "~32a ~9a ~12a ~12a ~9a ~10a~%"
              "OPERATION" "REQUESTS" "P99 CONTROL" "P99 CANARY" "P99" "P-VALUE")
      (for-each
       (lambda (op)
         (let* ((figures (assq-ref op 'figures))
                (p99 (assq-ref figures 'p99))
                (count (assq-ref figures 'count)))
           (format #t "~32a ~9a ~12a ~12a ~9a ~10a~%"
                   (assq-ref op 'operation) (count-of (assq-ref count 'experiment))
                   (ms (assq-ref p99 'control)) (ms (assq-ref p99 'experiment))
                   (relative (assq-ref p99 'relative-change))
                   (p-value (assq-ref (assq-ref op 'latency-test) 'p-value)))))
       (vector->list ops)))))

(define (last-share shares)
  (let loop ((i (- (vector-length shares) 1)))
    (cond ((< i 0) #f)
          ((real? (vector-ref shares i)) (vector-ref shares i))
          (else (loop (- i 1))))))

(define (print-regions propagation)
  (let ((regions (and propagation (assq-ref propagation 'regions))))
    ;; One region without a name is a service that does not say where it
    ;; runs: nothing to show beyond the figures above.
    (when (and regions
               (or (> (vector-length regions) 1)
                   (and (= 1 (vector-length regions))
                        (assq-ref (vector-ref regions 0) 'region))))
      (format #t "~%~18a ~22a ~10a ~14a ~a~%"
              "REGION" "NEW VERSION FROM" "LAG" "NEW/ALL" "SHARE AT END")
      (for-each
       (lambda (r)
         (let ((first (assq-ref r 'first-seen))
               (lag (assq-ref r 'lag)))
           (format #t "~18a ~22a ~10a ~14a ~a~%"
                   (or (assq-ref r 'region) "(none)")
                   (if first (ns->rfc3339 first) "never")
                   (if lag (format #f "~,1fs" (/ lag 1e9)) "-")
                   (format #f "~a/~a" (assq-ref r 'new-requests) (assq-ref r 'requests))
                   (percent (last-share (assq-ref r 'share))))))
       (vector->list regions))
      (let ((never (assq-ref propagation 'never-reached)))
        (when (and never (> (vector-length never) 0))
          (format #t "never reached: ~a~%"
                  (string-join (map (lambda (x) (format #f "~a" x)) (vector->list never))
                               ", ")))))))

(define (print-new-error-types new-errors)
  (let ((types (and new-errors (assq-ref new-errors 'types))))
    (when (and types (> (vector-length types) 0))
      (format #t "~%new error types: ~a~%"
              (string-join (map (lambda (t) (format #f "~a" (assq-ref t 'type)))
                                (vector->list types))
                           ", ")))))

(define (side s)
  ;; A side of the comparison, e.g. "during, version v2".
  (string-join (filter-map (lambda (kv) (and (cdr kv) (format #f "~a" (cdr kv)))) s) " "))

(define (figure-values comparison name)
  ;; The control and experiment values of figure NAME in COMPARISON.
  (let* ((overall (and comparison (assq-ref comparison 'overall)))
         (cell (and overall (assq-ref (assq-ref overall 'figures) name))))
    (if cell
        (values (assq-ref cell 'control) (assq-ref cell 'experiment))
        (values #f #f))))

(define (print-side-by-side traces-comparison mesh-comparison)
  "The figures of the traces and of the mesh's metrics, side by side."
  (format #t "~%~16a ~14a ~14a ~14a ~14a~%" "FIGURE" "TRACES CTL" "TRACES EXP" "MESH CTL"
          "MESH EXP")
  (for-each
   (lambda (f)
     (unless (memq (car f) '(mean max))
       (let-values (((tc te) (figure-values traces-comparison (car f)))
                    ((mc me) (figure-values mesh-comparison (car f))))
         (let ((show (caddr f)))
           (format #t "~16a ~14a ~14a ~14a ~14a~%" (cadr f) (show tc) (show te) (show mc)
                   (show me))))))
   %figures))

(define (print-sources r)
  "For a result with the mesh's metrics: where they came from, both
verdicts and the sources' disagreements."
  (let* ((alist (correlation-result->alist r))
         (prom (assq-ref alist 'prometheus))
         (judges (assq-ref alist 'judges)))
    (when prom
      (format #t "~%mesh metrics: ~a (~a), ~a~%" (assq-ref prom 'source) (assq-ref prom 'preset)
              (assq-ref prom 'requests-selector))
      (when judges
        (for-each (lambda (source)
                    (let ((j (assq-ref judges source)))
                      (when j
                        (format #t "~a: ~a, score ~a: ~a~%" source (assq-ref j 'verdict)
                                (let ((s (assq-ref j 'score)))
                                  (if (real? s) (format #f "~,3f" s) "-"))
                                (assq-ref j 'reason)))))
                  '(traces prometheus))
        (print-side-by-side (correlation-result-comparison r) (assq-ref prom 'comparison)))
      (let ((promql (assq-ref prom 'promql)))
        (when (and promql (> (vector-length promql) 0))
          (format #t "~%~16a ~10a ~12a ~a~%" "PROMQL" "WINDOW" "VERSION" "VALUE")
          (for-each (lambda (v)
                      (format #t "~16a ~10a ~12a ~a~%" (assq-ref v 'name) (assq-ref v 'window)
                              (or (assq-ref v 'version) "-")
                              (let ((x (assq-ref v 'value))) (if (real? x) x "-"))))
                    (vector->list promql))))
      (let ((dis (assq-ref alist 'disagreements)))
        (when (and dis (> (vector-length dis) 0))
          (format #t "~%where the traces and the mesh disagree:~%")
          (for-each (lambda (x)
                      (format #t "  ~a~a: ~a~%" (assq-ref x 'figure)
                              (let ((side (assq-ref x 'side))) (if side (format #f " (~a)" side) ""))
                              (assq-ref x 'note)))
                    (vector->list dis)))))))

(define (print-correlation-summary r d)
  "Print correlation result R of deployment D as a person reads it."
  (format #t "deployment ~a: ~a ~a (~a), verdict ~a, score ~a~%"
          (deployment-event-id d) (deployment-event-service-name d)
          (deployment-event-version d) (deployment-event-deployment-type d)
          (or (correlation-result-verdict r) "none")
          (let ((s (correlation-result-score r))) (if (real? s) (format #f "~,3f" s) "-")))
  (let ((j (correlation-result-judge r)))
    (when j
      (format #t "why: ~a~%" (assq-ref j 'reason))))
  (let ((c (correlation-result-comparison r)))
    (when c
      (format #t "comparison: ~a, ~a against ~a~%" (assq-ref c 'mode)
              (side (assq-ref c 'experiment)) (side (assq-ref c 'control)))
      (print-figures c)))
  (print-judge (correlation-result-judge r))
  (print-sources r)
  (print-operations (correlation-result-canary r))
  (print-regions (correlation-result-propagation r))
  (print-new-error-types (correlation-result-new-error-types r)))
