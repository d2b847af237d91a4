;;; An SRFI-64 test runner that prints TAP, for automake's TAP driver.
(define-module (tap)
  #:use-module (srfi srfi-64)
  #:use-module (ice-9 control)
  #:export (tap-runner
            test-raises))

(define (diagnose r)
  (for-each (lambda (key)
              (let ((v (assq key (test-result-alist r))))
                (when v
                  (format #t "#   ~a: ~s~%" key (cdr v)))))
            '(source-file source-line expected-value actual-value actual-error)))

(define (tap-runner)
  "A runner that prints one TAP line per test and the plan at the end."
  (let ((runner (test-runner-null))
        (count 0))
    (test-runner-on-test-end!
     runner
     (lambda (r)
       (set! count (+ count 1))
       (let ((name (or (test-runner-test-name r) ""))
             (kind (test-result-kind r)))
         (case kind
           ((pass) (format #t "ok ~a - ~a~%" count name))
           ((xpass) (format #t "ok ~a - ~a # TODO unexpectedly passed~%" count name))
           ((xfail) (format #t "not ok ~a - ~a # TODO~%" count name))
           ((skip) (format #t "ok ~a - ~a # SKIP~%" count name))
           (else (format #t "not ok ~a - ~a~%" count name)
                 (diagnose r))))
       (force-output)))
    (test-runner-on-final!
     runner
     (lambda (r) (format #t "1..~a~%" count)))
    runner))

;; Install the runner before any test-begin of the file loading us.
(test-runner-factory tap-runner)
(test-runner-current (tap-runner))

(define-syntax-rule (test-raises name predicate expr)
  "Passes when EXPR raises an exception satisfying PREDICATE."
  (test-assert name
    (call/ec (lambda (return)
               (with-exception-handler
                   (lambda (e) (return (and (predicate e) #t)))
                 (lambda () expr #f))))))
