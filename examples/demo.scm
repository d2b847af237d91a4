;;; The quickstart demo: a deployment event, its span and its traceparent,
;;; the ledger, the span a collector receives, and the question the project
;;; exists for: did the canary make things worse?
(use-modules (ice-9 format)
             (ice-9 pretty-print)
             (rnrs bytevectors)
             (deploy-ledger export)
             (deploy-ledger core types)
             (deploy-ledger core time)
             (deploy-ledger ledger)
             (deploy-ledger correlation)
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

;; Yesterday's canary of v2.3.9 ran 30 minutes from 10:00 UTC, with v2.3.8
;; still serving most requests.  Its traces (made up here: two requests a second, one in
;; ten on the canary, whose /search is slow one time in five) tell how it
;; did; in production they come from load-traces, jaeger-traces or
;; tempo-traces of (deploy-ledger traces).
(define yesterday-10am
  (let ((day (* 24 3600 1000000000)))
    (+ (* day (- (quotient (current-time-ns) day) 1)) (* 10 3600 1000000000))))
(define canary
  (make-deployment-event #:service-name "checkout" #:version "v2.3.9"
                         #:previous-version "v2.3.8" #:deployment-type 'canary
                         #:status 'succeeded #:started yesterday-10am
                         #:completed (+ yesterday-10am (* 30 60 1000000000))))
(define (canary-traffic)
  (let ((t0 (deployment-event-started canary)) (second 1000000000))
    (let loop ((i -3600) (acc '()))
      (if (= i 3600)
          acc
          (let* ((canary? (and (>= i 0) (zero? (modulo i 10))))
                 (search? (even? (quotient i 7)))
                 (ms (+ (if search? 40 80) (modulo (* i 37) 23)
                        (if (and canary? search? (zero? (modulo (quotient i 10) 5))) 250 0))))
            (loop (+ i 1)
                  (cons `((service . "checkout")
                          (operation . ,(if search? "GET /search" "POST /pay"))
                          (version . ,(if canary? "v2.3.9" "v2.3.8"))
                          (region . "us-east-1")
                          (start . ,(+ t0 (* i (quotient second 2))))
                          (duration . ,(* ms 1000000))
                          (error . ,(zero? (modulo (* i 7919) 211))))
                        acc)))))))
(define verdict (correlate-with-traces canary (spans->trace-set (canary-traffic))))
(format #t "~%Yesterday's canary of ~a against ~a: verdict ~a (~a)~%"
        (deployment-event-version canary) (deployment-event-previous-version canary)
        (correlation-result-verdict verdict)
        (assq-ref (correlation-result-judge verdict) 'reason))
(for-each (lambda (p)
            (format #t "  p~a  ~,1f ms -> ~,1f ms  ~a~%" (assq-ref p 'percentile)
                    (/ (assq-ref p 'baseline) 1e6) (/ (assq-ref p 'canary) 1e6)
                    (assq-ref p 'classification)))
          (vector->list (assq-ref (correlation-result-canary verdict) 'percentiles)))
(format #t "  moved most: ~a~%"
        (assq-ref (vector-ref (assq-ref (correlation-result-canary verdict) 'operations) 0)
                  'operation))

(format #t "~%From a shell: deploy-ledger start --service checkout --version v2.4.0; \
deploy-ledger finish ID --status succeeded; deploy-ledger list; \
deploy-ledger correlate ID --traces DIR~%")

;; The impact report of a canary, in the four formats: the sample traces of
;; examples/trace-samples.json (a canary of checkout v2.4.0 whose p99 rose),
;; as `deploy-ledger report ID --traces FILE --format org|md|json|html'
;; writes them.
(load (string-append (dirname (current-filename)) "/sample-report.scm"))
;; The folder: $DEPLOY_LEDGER_DEMO_REPORTS when set, else a new one in /tmp.
(define report-dir
  (let ((wanted (getenv "DEPLOY_LEDGER_DEMO_REPORTS")))
    (if wanted
        (begin (unless (file-exists? wanted) (mkdir wanted)) wanted)
        (mkdtemp (string-copy "/tmp/deploy-ledger-reports-XXXXXX")))))
(let ((files (write-sample-reports report-dir)))
  (format #t "~%The sample canary's impact report, in ~a:~%" report-dir)
  (for-each (lambda (f) (format #t "  ~a~%" f)) files)
  (format #t "Open ~a/correlation-report.html in a browser.~%" report-dir))

