;;; Reading a policy file.  By default it is evaluated in a sandbox that
;;; holds only the policy language and Guile's pure bindings (no file, no
;;; network, no process, no module but (deploy-ledger policies)), with a
;;; time and an allocation limit; with TRUST? it is a plain Scheme file.
;;; Errors name the file, the line and what was expected.
(define-module (deploy-ledger policies load)
  #:use-module (ice-9 sandbox)
  #:use-module (ice-9 format)
  #:use-module (ice-9 exceptions)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger policies language)
  #:export (load-policy
            %policy-language))

(define %policy-language
  ;; What a sandboxed policy file sees besides Guile's pure bindings.
  '(policy rule above? below? verdict? significant? at-least-requests
    ratio difference control experiment score ms alert rollback and or not))

(define (policy-error file line fmt . args)
  (raise-deploy-ledger-error
   'invalid-input 'load-policy
   (format #f "~a:~a: ~a" file line (apply format #f fmt args))
   (list file line #f #f)))

(define (read-forms file)
  "The top-level forms of FILE, each with its line (from 1); a syntax
error names the place."
  (call-with-input-file file
    (lambda (port)
      (set-port-filename! port file)
      (let loop ((forms '()))
        (let ((line (+ 1 (port-line port))))
          (let ((form (catch 'read-error
                        (lambda () (read port))
                        (lambda (key who fmt args . rest)
                          (policy-error file (+ 1 (port-line port))
                                        "not valid Scheme: ~a (a parenthesis missing or \
too many?)" (apply format #f fmt args))))))
            (if (eof-object? form)
                (reverse forms)
                (loop (cons (cons (form-line form line) form) forms)))))))))

(define (form-line form fallback)
  "The line FORM starts on, from its source properties, else FALLBACK."
  (let ((l (and (pair? form) (source-property form 'line))))
    (if l (+ 1 l) fallback)))

(define (use-modules-form? form)
  (and (pair? form) (eq? (car form) 'use-modules)))

(define (check-use-modules file line form)
  "Only (deploy-ledger policies) may be used by a sandboxed policy."
  (for-each (lambda (spec)
              (unless (equal? spec '(deploy-ledger policies))
                (policy-error file line "~s is not available to a policy: only \
(deploy-ledger policies) is (run with --trust-policy to load a policy that uses other modules)"
                              spec)))
            (cdr form)))

(define (message-of e)
  (cond ((deploy-ledger-error? e) (deploy-ledger-error-message e))
        ((and (exception-with-message? e) (exception-with-irritants? e))
         (catch #t
           (lambda () (apply format #f (exception-message e) (exception-irritants e)))
           (lambda _ (exception-message e))))
        ((exception-with-message? e) (exception-message e))
        (else (format #f "~s" e))))

(define (evaluate file line thunk)
  "Call THUNK; an error in it names FILE and LINE unless it already
names its place."
  (with-exception-handler
      (lambda (e)
        (let ((msg (message-of e)))
          (cond ((and (string? msg) (string-prefix? (string-append file ":") msg))
                 (raise-exception e))
                ((and (string? msg) (string-prefix? "Unbound variable: " msg))
                 (policy-error file line "~a is not part of the policy language (policy, rule, \
conditions, figures, alert, rollback; --trust-policy allows any Scheme)"
                               (substring msg (string-length "Unbound variable: "))))
                (else
                 (policy-error file line "~a" (or msg "error while evaluating"))))))
    thunk
    #:unwind? #t))

(define* (load-policy file #:key trust?)
  "The policy defined by FILE: the value of its last expression, which
must be a @code{(policy ...)}.  Without TRUST? the file runs in a sandbox
exposing only the policy language (and pure Scheme), for at most a second
per expression.  Errors are @code{invalid-input} conditions whose message
begins with FILE:LINE and says what was expected."
  (unless (file-exists? file)
    (raise-deploy-ledger-error 'not-found 'load-policy
                               (format #f "~a: no such policy file" file)))
  (let* ((forms (read-forms file))
         (module (if trust?
                     (let ((m (make-fresh-user-module)))
                       (module-use! m (resolve-interface '(deploy-ledger policies)))
                       m)
                     (make-sandbox-module
                      (cons (cons '(deploy-ledger policies language) %policy-language)
                            all-pure-bindings))))
         (value
          (let loop ((forms forms) (last #f) (last-line 1))
            (if (null? forms)
                (cons last last-line)
                (let* ((line (caar forms)) (form (cdar forms)))
                  (cond ((and (not trust?) (use-modules-form? form))
                         (check-use-modules file line form)
                         (loop (cdr forms) last line))
                        (else
                         (loop (cdr forms)
                               (evaluate file line
                                         (lambda ()
                                           (if trust?
                                               (eval form module)
                                               (eval-in-sandbox form #:module module
                                                                #:sever-module? #f
                                                                #:time-limit 1.0
                                                                #:allocation-limit #e50e6))))
                               line))))))))
    (unless (policy? (car value))
      (policy-error file (cdr value) "expected the file to end with a (policy NAME #:rules \
(list (rule ...) ...)), but its last expression gives ~a"
                    (if (car value) (format #f "~s" (car value)) "nothing")))
    (car value)))
