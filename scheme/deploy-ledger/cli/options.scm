;;; Command-line options, usage errors and exit statuses.
(define-module (deploy-ledger cli options)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 exceptions)
  #:export (parse-options
            option
            options-rest
            usage-error
            usage-error?
            usage-error-message
            exit-status
            %exit-ok %exit-failure %exit-usage %exit-not-found
            %exit-transition %exit-storage %exit-export))

;; Exit statuses, documented in the manual and in --help.
(define %exit-ok 0)
(define %exit-failure 1)        ; any other error
(define %exit-usage 2)          ; bad arguments
(define %exit-not-found 3)      ; no such deployment, or an ambiguous prefix
(define %exit-transition 4)     ; a status change the lifecycle forbids
(define %exit-storage 5)        ; the ledger cannot be opened, read or written
(define %exit-export 6)         ; spans not exported now; in the spool or dead letters

(define &usage-error (make-exception-type '&usage-error &error '()))
(define make-usage-error (record-constructor &usage-error))
(define usage-error? (exception-predicate &usage-error))

(define (usage-error-message e)
  (exception-message e))

(define (usage-error fmt . args)
  "Raise a usage error with a formatted message."
  (raise-exception
   (make-exception (make-usage-error)
                   (make-exception-with-message (apply format #f fmt args)))))

(define (exit-status code)
  "The exit status for a deploy-ledger error CODE (a symbol)."
  (case code
    ((not-found ambiguous) %exit-not-found)
    ((invalid-transition) %exit-transition)
    ((storage schema-too-new io closed) %exit-storage)
    ((http) %exit-export)
    ((invalid-input out-of-range) %exit-usage)
    (else %exit-failure)))

(define (parse-options command spec args)
  "Parse ARGS by SPEC, a list of (NAME KIND) with KIND one of @code{flag},
@code{value} or @code{multi} (a value that may repeat).  Accepts
@code{--name value} and @code{--name=value}.  Returns an alist of
(NAME . value-or-list-or-#t) with the positional arguments under
@code{rest}; raises a usage error naming COMMAND for anything else."
  (define (kind-of name)
    (let ((entry (assoc name spec)))
      (and entry (cadr entry))))
  (let loop ((args args) (result '()) (rest '()))
    (match-args args result rest loop kind-of command)))

(define (match-args args result rest loop kind-of command)
  (cond
   ((null? args)
    (cons (cons 'rest (reverse rest)) (reverse result)))
   ((string=? (car args) "--")
    (loop '() result (append (reverse (cdr args)) rest)))
   ((and (string-prefix? "--" (car args)) (> (string-length (car args)) 2))
    (let* ((text (substring (car args) 2))
           (eq (string-index text #\=))
           (name (string->symbol (if eq (substring text 0 eq) text)))
           (inline (and eq (substring text (+ eq 1))))
           (kind (kind-of name)))
      (case kind
        ((flag)
         (when inline (usage-error "~a: --~a takes no value" command name))
         (loop (cdr args) (cons (cons name #t) result) rest))
        ((value multi)
         (let ((value (or inline
                          (if (null? (cdr args))
                              (usage-error "~a: --~a needs a value" command name)
                              (cadr args))))
               (remaining (if inline (cdr args) (cddr args))))
           (if (and (eq? kind 'value) (assq name result))
               (usage-error "~a: --~a given twice" command name)
               (loop remaining
                     (if (eq? kind 'multi)
                         (let ((old (assq name result)))
                           (cons (cons name (append (if old (cdr old) '()) (list value)))
                                 (alist-delete name result eq?)))
                         (cons (cons name value) result))
                     rest))))
        (else (usage-error "~a: unknown option --~a (see --help)" command name)))))
   ((and (string-prefix? "-" (car args)) (> (string-length (car args)) 1)
         (not (string->number (car args))))
    (if (string=? (car args) "-h")
        (loop (cdr args) (cons (cons 'help #t) result) rest)
        (usage-error "~a: unknown option ~a (see --help)" command (car args))))
   (else (loop (cdr args) result (cons (car args) rest)))))

(define* (option options name #:optional default)
  "The value of option NAME in OPTIONS, or DEFAULT."
  (let ((entry (assq name options)))
    (if entry (cdr entry) default)))

(define (options-rest options)
  "The positional arguments."
  (option options 'rest '()))
