;;; The quickstart demo: a deployment event, its span and its traceparent.
(use-modules (ice-9 pretty-print)
             (deploy-ledger core types)
             (deploy-ledger core time)
             (deploy-ledger integrations tracing))

(define deployment
  (make-deployment-event #:service-name "checkout"
                         #:version "v2.4.0"
                         #:previous-version "v2.3.9"
                         #:deployment-type 'canary
                         #:environment "production"
                         #:regions '("us-east-1" "eu-west-1")
                         #:status 'in-progress
                         #:commit "9fceb02d0ae598e95dc970b74767f19372d61af8"
                         ;; inside a CI job, the pipeline's trace is the parent
                         #:parent (trace-context-from-environment)))

(format #t "Deployment ~a of ~a ~a (~a), started ~a~%~%"
        (deployment-event-id deployment)
        (deployment-event-service-name deployment)
        (deployment-event-version deployment)
        (deployment-event-deployment-type deployment)
        (ns->rfc3339 (deployment-event-started deployment)))

(display "Its span:\n")
(pretty-print (create-deployment-span deployment))

(format #t "~%Headers for the deploy webhook:~%")
(pretty-print (inject-trace-context deployment
                                    '(("Content-Type" . "application/json"))))

(format #t "~%traceparent: ~a~%" (deployment-traceparent deployment))
