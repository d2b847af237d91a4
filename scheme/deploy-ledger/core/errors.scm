;;; The condition raised by every deploy-ledger procedure.
(define-module (deploy-ledger core errors)
  #:use-module (ice-9 exceptions)
  #:export (&deploy-ledger-error
            deploy-ledger-error?
            deploy-ledger-error-code
            deploy-ledger-error-source
            deploy-ledger-error-line
            deploy-ledger-error-column
            deploy-ledger-error-offset
            raise-deploy-ledger-error
            deploy-ledger-error-message
            deploy-ledger-error-origin))

(define &deploy-ledger-error
  (make-exception-type '&deploy-ledger-error &error
                       '(code source line column offset)))

(define make-deploy-ledger-error-part
  (record-constructor &deploy-ledger-error))

(define deploy-ledger-error?
  (exception-predicate &deploy-ledger-error))

(define (field-accessor field)
  (exception-accessor &deploy-ledger-error
                      (record-accessor &deploy-ledger-error field)))

(define deploy-ledger-error-code (field-accessor 'code))
(define deploy-ledger-error-source (field-accessor 'source))
(define deploy-ledger-error-line (field-accessor 'line))
(define deploy-ledger-error-column (field-accessor 'column))
(define deploy-ledger-error-offset (field-accessor 'offset))

(define (deploy-ledger-error-message e)
  "The message of the deploy-ledger error E, naming the bad input."
  (and (exception-with-message? e) (exception-message e)))

(define (deploy-ledger-error-origin e)
  "The procedure that raised E, as a symbol, or #f."
  (and (exception-with-origin? e) (exception-origin e)))

(define* (raise-deploy-ledger-error code who message
                                    #:optional (position '(#f #f #f #f)))
  "Raise a deploy-ledger error: CODE is a symbol such as @code{invalid-input}
or @code{not-found}, WHO the procedure name, MESSAGE the text naming the
input.  POSITION is a list (source line column offset), each #f if unknown."
  (raise-exception
   (make-exception
    (apply make-deploy-ledger-error-part code position)
    (make-exception-with-origin who)
    (make-exception-with-message message)
    (make-exception-with-irritants '()))))
