;;; A deploy hook: `SERVICE=checkout VERSION=v2 guile -s deploy-hook.scm'.
;;; Prints the headers a webhook call should carry, so the receiver's
;;; spans join the deployment's trace.
(use-modules (deploy-ledger core types)
             (deploy-ledger integrations tracing))

(define deployment
  (make-deployment-event #:service-name (or (getenv "SERVICE") "checkout")
                         #:version (or (getenv "VERSION") "v1")
                         #:deployment-type 'rolling
                         #:status 'in-progress
                         #:parent (trace-context-from-environment)))

(for-each (lambda (header) (format #t "~a: ~a~%" (car header) (cdr header)))
          (inject-trace-context deployment '(("Content-Type" . "application/json"))))
