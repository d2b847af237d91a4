;;; A canary deploy step in Scheme: record, export, wait, correlate, report,
;;; gate.  The same steps as examples/deploy.sh, through the Scheme API:
;;;
;;;   SERVICE=checkout VERSION=v2.4.0 PREVIOUS_VERSION=v2.3.9 \
;;;   TRACES=examples/trace-samples.json CANARY_SECONDS=1800 \
;;;   guile examples/deploy.scm
;;;
;;; TRACES is a trace file or directory, or jaeger:URL / tempo:URL; the
;;; reports go to REPORT_DIR (default: reports); STARTED_AT and FINISHED_AT
;;; (RFC 3339) replay a deployment that already happened.  The exit status is
;;; the verdict's, as `deploy-ledger report' gives it: 0 pass (promote), 10
;;; marginal (hold), 11 fail (rolled back).
(use-modules (deploy-ledger core types)
             (deploy-ledger core time)
             (deploy-ledger ledger)
             (deploy-ledger export)
             (deploy-ledger traces)
             (deploy-ledger correlation)
             (deploy-ledger integrations tracing)
             (deploy-ledger reports))

(define (env name . default)
  (or (getenv name)
      (if (pair? default)
          (car default)
          (begin (format (current-error-port) "deploy.scm: set ~a~%" name) (exit 2)))))

(define traces-spec (env "TRACES"))
(define report-dir (env "REPORT_DIR" "reports"))
(define exporter (and (otlp-endpoint-configured?) (make-otlp-exporter)))

(define (export! ledger d)
  ;; Spooled with the event; sent now when a collector is configured.
  (when exporter (export-deployment exporter ledger d)))

(call-with-ledger
 (lambda (ledger)
   ;; Record.
   (let* ((d (record-deployment!
              ledger
              (make-deployment-event
               #:service-name (env "SERVICE") #:version (env "VERSION")
               #:previous-version (getenv "PREVIOUS_VERSION")
               #:deployment-type 'canary #:status 'in-progress
               #:regions (if (getenv "REGIONS") (string-split (getenv "REGIONS") #\space) '())
               #:started (or (getenv "STARTED_AT") (current-time-ns))
               #:parent (trace-context-from-environment))))
          (_ (export! ledger d))
          (_ (format #t "deployment ~a, traceparent ~a~%" (deployment-event-id d)
                     (deployment-traceparent d)))
          ;; Wait while the canary serves, then record the end of its phase.
          (_ (sleep (string->number (env "CANARY_SECONDS" "0"))))
          (done (update-deployment-status! ledger d 'succeeded #:reason "canary phase over"
                                           #:at (getenv "FINISHED_AT")))
          (_ (export! ledger done))
          ;; Correlate: the service's traces around the deployment.
          (traces (cond ((string-prefix? "jaeger:" traces-spec)
                         (let ((w (deployment-windows done)))
                           (jaeger-traces #:url (substring traces-spec 7)
                                          #:service (deployment-event-service-name done)
                                          #:start (apply min (map window-start w))
                                          #:end (apply max (map window-end w)))))
                        ((string-prefix? "tempo:" traces-spec)
                         (let ((w (deployment-windows done)))
                           (tempo-traces #:url (substring traces-spec 6)
                                         #:service (deployment-event-service-name done)
                                         #:start (apply min (map window-start w))
                                         #:end (apply max (map window-end w)))))
                        (else (load-traces traces-spec))))
          (result (correlate-with-traces done traces))
          ;; Report: Markdown for the pull request, HTML to attach.
          (report (make-report result #:deployment done #:traces traces
                               #:ui-url (getenv "TRACING_UI_URL"))))
     (unless (file-exists? report-dir) (mkdir report-dir))
     (for-each (lambda (format)
                 (call-with-output-file
                     (string-append report-dir "/report." (report-format-extension format))
                   (lambda (port) (write-report report format port))))
               '(md html))
     ;; Gate.
     (let ((verdict (correlation-result-verdict result)))
       (format #t "verdict ~a: ~a~%" (or verdict "none")
               (report-ref report 'verdict 'reason))
       (case verdict
         ((pass) (format #t "promote ~a ~a~%" (deployment-event-service-name done)
                         (deployment-event-version done)))
         ((marginal) (format #t "holding for a person to decide~%"))
         (else
          (export! ledger (update-deployment-status! ledger done 'rolled-back
                                                     #:reason "canary gate failed"))
          (format #t "rolled back~%")))
       (exit (verdict->exit-status verdict))))))
