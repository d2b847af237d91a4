;;; The policy language: policies, rules, conditions over the figures of a
;;; correlation, and actions.  Everything here builds plain records; the
;;; constructors check their arguments and name the place of the call in
;;; their errors (file and line, when the policy was read from a file).
(define-module (deploy-ledger policies language)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-9 gnu)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:replace (and or not rule)
  #:export (policy
            above? below? verdict? significant? at-least-requests
            ratio difference control experiment score ms
            alert rollback
            ;; Records, for the evaluator and the actions.
            policy? policy-name policy-interval policy-rules policy-source
            rule? rule-name rule-condition rule-for rule-actions rule-source
            condition? condition-description condition-holds?
            figure? figure-description figure-value
            action? action-kind action-arguments action-options action-source
            action-description
            %figure-names %verdicts
            ;; The procedures behind the constructors (which are macros,
            ;; to know where they were called).
            ratio* difference* control* experiment* score* above?* below?* verdict?*
            significant?* at-least-requests* alert* rollback* rule* policy*))

;;; ---- records ----

(define-record-type <policy>
  (make-policy name interval rules source)
  policy?
  (name policy-name)
  (interval policy-interval)   ; ns
  (rules policy-rules)
  (source policy-source))

(set-record-type-printer! <policy>
  (lambda (p port)
    (format port "#<policy ~s, ~a rule~:p>" (policy-name p) (length (policy-rules p)))))

;; A condition: a test of an evaluation context (see evaluate.scm), and
;; the text it was written as.
(define-record-type <condition>
  (make-condition description test)
  condition?
  (description condition-description)
  (test condition-test))

(define (condition-holds? c ctx)
  "True when condition C holds in the evaluation context CTX."
  (->bool ((condition-test c) ctx)))

(define (->bool x) (if x #t #f))

;; A figure: a number computed from the context, or #f without data.
(define-record-type <figure>
  (make-figure description compute)
  figure?
  (description figure-description)
  (compute figure-compute))

(define-record-type <action>
  (make-action kind arguments options source)
  action?
  (kind action-kind)           ; alert, rollback
  (arguments action-arguments)
  (options action-options)
  (source action-source))

(define (action-description a)
  "The action A as it was written, in short."
  (format #f "(~a~{ ~s~})" (action-kind a) (action-arguments a)))

(set-record-type-printer! <action>
  (lambda (a port) (format port "#<action ~a>" (action-description a))))

;;; ---- and, or, not ----

;; and, or, not: on conditions they make a condition; on anything else
;; they are Scheme's own, so a trusted policy can still use them on
;; booleans.
(define (combine name conditions test)
  (make-condition (format #f "(~a~{ ~a~})" name (map condition-description conditions))
                  (lambda (ctx) (test (lambda (c) (condition-holds? c ctx)) conditions))))

(define (check-conditions name xs)
  (for-each (lambda (x)
              (unless (condition? x)
                (invalid #f name "cannot mix a condition with ~s: combine conditions only" x)))
            xs)
  xs)

(define-syntax and
  (syntax-rules ()
    ((_) #t)
    ((_ e) e)
    ((_ e rest ...)
     (let ((v e))
       (if (condition? v)
           (combine "and" (check-conditions "and" (list v rest ...)) every)
           (if v (and rest ...) #f))))))

(define-syntax or
  (syntax-rules ()
    ((_) #f)
    ((_ e) e)
    ((_ e rest ...)
     (let ((v e))
       (if (condition? v)
           (combine "or" (check-conditions "or" (list v rest ...)) any)
           (if v v (or rest ...)))))))

(define (not x)
  "The negation of condition X, or Scheme's @code{not} of any other value."
  (if (condition? x)
      (make-condition (format #f "(not ~a)" (condition-description x))
                      (lambda (ctx) ((@ (guile) not) (condition-holds? x ctx))))
      ((@ (guile) not) x)))

;;; ---- where a form was written, for errors ----

(define (location->string loc)
  "\"FILE:LINE: \" of the source alist LOC (lines counted from 1), or \"\"."
  (if (and loc (assq-ref loc 'line))
      (format #f "~a:~a: " (or (assq-ref loc 'filename) "policy")
              (+ 1 (assq-ref loc 'line)))
      ""))

(define (invalid loc what fmt . args)
  "Raise an invalid-input error naming LOC and the form WHAT."
  (raise-deploy-ledger-error
   'invalid-input (string->symbol what)
   (string-append (location->string loc) "in (" what " ...): " (apply format #f fmt args))
   (list (and loc (assq-ref loc 'filename)) (and loc (assq-ref loc 'line) (+ 1 (assq-ref loc 'line)))
         (and loc (assq-ref loc 'column)) #f)))

;; A constructor used in call position gets the source of the call; used
;; as a value, it is the plain procedure (with no source).
(define-syntax define-located
  (syntax-rules ()
    ((_ name proc)
     (define-syntax name
       (lambda (x)
         (syntax-case x ()
           ((_ . args) #`(proc '#,(datum->syntax x (syntax-source x)) . args))
           (id (identifier? #'id) #'(lambda args (apply proc #f args)))))))))

(define (figure-value f ctx)
  "The value of figure F in context CTX: a number, or #f without data."
  (let ((v ((figure-compute f) ctx)))
    (and (number? v) (not (nan? v)) v)))

(define-record-type <rule>
  (make-rule name condition for actions source)
  rule?
  (name rule-name)
  (condition rule-condition)
  (for rule-for)               ; consecutive intervals
  (actions rule-actions)
  (source rule-source))

(set-record-type-printer! <rule>
  (lambda (r port)
    (format port "#<rule ~s: ~a for ~a>" (rule-name r)
            (condition-description (rule-condition r)) (rule-for r))))

;;; ---- figures ----

(define %figure-names
  ;; The figures of a comparison (see `correlation-result-comparison').
  '(count throughput errors error-rate mean max p50 p90 p95 p99))

(define %verdicts '(pass marginal fail inconclusive))

(define (check-figure loc what name)
  (unless (memq name %figure-names)
    (invalid loc what "unknown figure ~s: expected one of ~{~a~^, ~}" name %figure-names))
  name)

(define (side ctx name which)
  "The value of figure NAME on side WHICH (control or experiment) in CTX."
  (let ((f (assq-ref (or (assq-ref ctx 'figures) '()) name)))
    (and f (assq-ref f which))))

(define (ratio* loc name)
  (check-figure loc "ratio" name)
  (make-figure (format #f "(ratio '~a)" name)
               (lambda (ctx)
                 (let ((c (side ctx name 'control)) (e (side ctx name 'experiment)))
                   (and (number? c) (number? e) (not (zero? c)) (/ e c))))))
(define-located ratio ratio*)

(define (difference* loc name)
  (check-figure loc "difference" name)
  (make-figure (format #f "(difference '~a)" name)
               (lambda (ctx)
                 (let ((c (side ctx name 'control)) (e (side ctx name 'experiment)))
                   (and (number? c) (number? e) (- e c))))))
(define-located difference difference*)

(define (control* loc name)
  (check-figure loc "control" name)
  (make-figure (format #f "(control '~a)" name) (lambda (ctx) (side ctx name 'control))))
(define-located control control*)

(define (experiment* loc name)
  (check-figure loc "experiment" name)
  (make-figure (format #f "(experiment '~a)" name) (lambda (ctx) (side ctx name 'experiment))))
(define-located experiment experiment*)

(define (score* loc)
  (make-figure "(score)" (lambda (ctx) (assq-ref ctx 'score))))
(define-located score score*)

(define (ms n)
  "N milliseconds in nanoseconds, the unit of latency figures."
  (* n 1000000))

;;; ---- conditions ----

(define (operand loc what x)
  "X as a figure: a figure itself, or a constant number."
  (cond ((figure? x) x)
        ((real? x) (make-figure (number->string x) (const x)))
        (else (invalid loc what "expected a figure such as (ratio 'p99) or a number, got ~s" x))))

(define (comparison loc what op a b)
  (let ((fa (operand loc what a)) (fb (operand loc what b)))
    (make-condition (format #f "(~a ~a ~a)" what (figure-description fa) (figure-description fb))
                    (lambda (ctx)
                      (let ((x (figure-value fa ctx)) (y (figure-value fb ctx)))
                        (and x y (op x y)))))))

(define (above?* loc a b) (comparison loc "above?" > a b))
(define-located above? above?*)
(define (below?* loc a b) (comparison loc "below?" < a b))
(define-located below? below?*)

(define (verdict?* loc . verdicts)
  (when (null? verdicts)
    (invalid loc "verdict?" "expected at least one verdict: ~{'~a~^, ~}" %verdicts))
  (for-each (lambda (v)
              (unless (memq v %verdicts)
                (invalid loc "verdict?" "unknown verdict ~s: expected one of ~{'~a~^, ~}" v
                         %verdicts)))
            verdicts)
  (make-condition (format #f "(verdict?~{ '~a~})" verdicts)
                  (lambda (ctx) (memq (assq-ref ctx 'verdict) verdicts))))
(define-located verdict? verdict?*)

(define* (significant?* loc what #:optional (p 0.05))
  (unless (memq what '(latency errors))
    (invalid loc "significant?" "expected 'latency or 'errors, got ~s" what))
  (unless (and (real? p) (> p 0) (< p 1))
    (invalid loc "significant?" "the level must be a number between 0 and 1, got ~s" p))
  (make-condition (format #f "(significant? '~a ~a)" what p)
                  (lambda (ctx)
                    (let ((pv (assq-ref (or (assq-ref ctx (if (eq? what 'latency)
                                                               'latency-test 'error-test))
                                            '())
                                        'p-value)))
                      (and (real? pv) (< pv p))))))
(define-located significant? significant?*)

(define (at-least-requests* loc n)
  (unless (and (exact-integer? n) (>= n 0))
    (invalid loc "at-least-requests" "expected a whole number of requests, got ~s" n))
  (make-condition (format #f "(at-least-requests ~a)" n)
                  (lambda (ctx)
                    (let ((c (side ctx 'count 'control)) (e (side ctx 'count 'experiment)))
                      (and (number? c) (number? e) (>= c n) (>= e n))))))
(define-located at-least-requests at-least-requests*)

;;; ---- actions ----

(define* (alert* loc url #:key (headers '()))
  (unless (and (string? url) (or (string-prefix? "http://" url) (string-prefix? "https://" url)))
    (invalid loc "alert" "expected an http:// or https:// URL, got ~s" url))
  (unless (and (list? headers) (every (lambda (h) (and (pair? h) (string? (car h))
                                                       (string? (cdr h))))
                                      headers))
    (invalid loc "alert" "#:headers must be an alist of strings, got ~s" headers))
  (make-action 'alert (list url) `((headers . ,headers)) loc))
(define-located alert alert*)

(define (rollback* loc program . rest)
  (let loop ((rest rest) (args '()) (timeout "5m"))
    (cond ((null? rest)
           (unless (and (string? program) (> (string-length program) 0))
             (invalid loc "rollback" "expected the program to run (a string), got ~s" program))
           (let ((ns (catch #t (lambda () (duration->ns timeout)) (lambda _ #f))))
             (unless (and ns (> ns 0))
               (invalid loc "rollback" "#:timeout must be a duration such as \"2m\", got ~s"
                        timeout))
             (make-action 'rollback (cons program (reverse args)) `((timeout . ,ns)) loc)))
          ((eq? (car rest) #:timeout)
           (when (null? (cdr rest))
             (invalid loc "rollback" "#:timeout needs a duration"))
           (loop (cddr rest) args (cadr rest)))
          ((string? (car rest)) (loop (cdr rest) (cons (car rest) args) timeout))
          (else (invalid loc "rollback" "arguments must be strings, got ~s" (car rest))))))
(define-located rollback rollback*)

;;; ---- rules and policies ----

(define* (rule* loc name condition #:key (for 1) (then '()))
  (unless (string? name)
    (invalid loc "rule" "expected the rule's name (a string) first, got ~s" name))
  (unless (condition? condition)
    (invalid loc "rule" "rule ~s: expected a condition such as (verdict? 'fail) after the \
name, got ~s" name condition))
  (unless (and (exact-integer? for) (> for 0))
    (invalid loc "rule" "rule ~s: #:for must be a positive number of intervals, got ~s" name for))
  (unless (and (list? then) (every action? then))
    (invalid loc "rule" "rule ~s: #:then must be a list of actions such as (alert URL) or \
(rollback PROGRAM ARG ...), got ~s" name then))
  (make-rule name condition for then loc))
(define-located rule rule*)

(define* (policy* loc name #:key (interval "30s") (rules '()))
  (unless (string? name)
    (invalid loc "policy" "expected the policy's name (a string) first, got ~s" name))
  (let ((ns (catch #t (lambda () (duration->ns interval)) (lambda _ #f))))
    (unless (and ns (> ns 0))
      (invalid loc "policy" "policy ~s: #:interval must be a duration such as \"30s\", got ~s"
               name interval))
    (unless (and (list? rules) (every rule? rules))
      (invalid loc "policy" "policy ~s: #:rules must be a list of (rule ...), got ~s" name rules))
    (let ((names (map rule-name rules)))
      (unless (= (length names) (length (delete-duplicates names)))
        (invalid loc "policy" "policy ~s: two rules have the same name: each rule's firings \
are recorded by its name" name)))
    (make-policy name ns rules loc)))
(define-located policy policy*)
