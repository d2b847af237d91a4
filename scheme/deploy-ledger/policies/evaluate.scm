;;; Evaluating a policy against correlation results, interval after
;;; interval: what a condition sees, and how long each rule's condition has
;;; held.
(define-module (deploy-ledger policies evaluate)
  #:use-module (srfi srfi-1)
  #:use-module (deploy-ledger correlation)
  #:use-module (deploy-ledger policies language)
  #:export (correlation->context
            policy-step
            due-rules))

(define (correlation->context result)
  "The evaluation context of a correlation RESULT: an alist of
@code{verdict} (a symbol), @code{score}, @code{figures} (per figure, its
@code{control}, @code{experiment}, @code{change} and @code{relative-change}),
@code{latency-test} and @code{error-test} (with their @code{p-value}),
@code{control} and @code{experiment} (what each side is: a version or a
window)."
  (let* ((cmp (correlation-result-comparison result))
         (overall (or (and cmp (assq-ref cmp 'overall)) '())))
    `((verdict . ,(correlation-result-verdict result))
      (score . ,(correlation-result-score result))
      (figures . ,(or (assq-ref overall 'figures) '()))
      (latency-test . ,(or (assq-ref overall 'latency-test) '()))
      (error-test . ,(or (assq-ref overall 'error-test) '()))
      (control . ,(and cmp (assq-ref cmp 'control)))
      (experiment . ,(and cmp (assq-ref cmp 'experiment))))))

(define (policy-step policy ctx held)
  "The consecutive intervals each rule of POLICY has held after this one,
whose context is CTX: an alist from rule names to counts, HELD being that
of the interval before ('() at first).  A rule that does not hold now
goes back to 0."
  (map (lambda (r)
         (cons (rule-name r)
               (if (condition-holds? (rule-condition r) ctx)
                   (+ 1 (or (assoc-ref held (rule-name r)) 0))
                   0)))
       (policy-rules policy)))

(define (due-rules policy held)
  "The rules of POLICY whose condition has held for their #:for intervals,
by HELD (as @code{policy-step} returns it), in the policy's order."
  (filter (lambda (r) (>= (or (assoc-ref held (rule-name r)) 0) (rule-for r)))
          (policy-rules policy)))
