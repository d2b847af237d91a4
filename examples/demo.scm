;;; The quickstart demo: a deployment event, its span and its traceparent.
(use-modules (ice-9 pretty-print)
             (rnrs bytevectors)
             (deploy-ledger export)
             (deploy-ledger core types)
             (deploy-ledger core time)
             (deploy-ledger ledger)
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

;; The ledger remembers it.  The demo keeps its own ledger in a temporary
;; directory; the command line uses ~/.local/share/deploy-ledger/ledger.db.
(define ledger-dir (mkdtemp (string-copy "/tmp/deploy-ledger-demo-XXXXXX")))
(call-with-ledger
 (lambda (ledger)
   (record-deployment! ledger deployment)
   (let ((done (update-deployment-status! ledger deployment 'succeeded
                                          #:reason "canary healthy")))
     (format #t "~%Recorded in ~a and finished: ~a after ~as~%"
             (ledger-path ledger) (deployment-event-status done)
             (quotient (deployment-event-duration done) 1000000000)))
   (format #t "~%The ledger now lists:~%")
   (for-each (lambda (d)
               (format #t "  ~a  ~a ~a  ~a  ~a  traceparent ~a~%"
                       (deployment-event-id d) (deployment-event-service-name d)
                       (deployment-event-version d) (deployment-event-status d)
                       (ns->rfc3339 (deployment-event-started d))
                       (deployment-traceparent d)))
             (deployments ledger))
   (format #t "~%History:~%")
   (for-each (lambda (e)
               (format #t "  ~a  ~a ~a~%" (ns->rfc3339 (assq-ref e 'at))
                       (assq-ref e 'kind) (or (assq-ref e 'status) "")))
             (deployment-history ledger deployment))
   ;; What an OpenTelemetry collector receives for it (set
   ;; OTEL_EXPORTER_OTLP_ENDPOINT and `deploy-ledger flush' sends it).
   (let* ((json (make-otlp-exporter #:protocol "http/json"))
          (done (find-deployment ledger (deployment-event-id deployment)))
          (payload (deployment-span-payload json done
                                            #:history (deployment-history ledger done))))
     (format #t "~%Its span as OTLP/JSON (~a bytes):~%~a~%"
             (bytevector-length (car payload)) (utf8->string (car payload)))))
 (string-append ledger-dir "/ledger.db"))
(system* "rm" "-rf" ledger-dir)

(format #t "~%From a shell: deploy-ledger start --service checkout --version v2.4.0; \
deploy-ledger finish ID --status succeeded; deploy-ledger list~%")
