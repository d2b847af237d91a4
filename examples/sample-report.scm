;;; The impact report of the sample canary (examples/trace-samples.json, see
;;; examples/make-trace-samples.scm), in every format:
;;;
;;;   build/pre-inst-env guile examples/sample-report.scm DIR [FORMAT...]
;;;
;;; writes DIR/correlation-report.FORMAT for each FORMAT (org, md, json,
;;; html; all four by default).  examples/correlation-report.org is this
;;; script's Org output (`... sample-report.scm examples org'); the tests
;;; check that it is current.  The demo loads this file for its ending.
(use-modules (deploy-ledger core types)
             (deploy-ledger core trace-context)
             (deploy-ledger traces)
             (deploy-ledger correlation)
             (deploy-ledger integrations tracing)
             (deploy-ledger reports))

(define sample-directory (dirname (current-filename)))

(define (sample-deployment)
  "The deployment the sample's traces are about: a fixed id and trace
context, so its report is the same on every run."
  (make-deployment-event
   #:id "01a0f2c4-9b00-7000-8000-00000000c0de"
   #:service-name "checkout" #:version "v2.4.0" #:previous-version "v2.3.9"
   #:deployment-type 'canary #:environment "production"
   #:regions '("us-east-1" "eu-west-1" "ap-southeast-1")
   #:status 'rolled-back
   #:started "2024-01-15T10:00:00Z" #:completed "2024-01-15T10:30:00Z"
   #:actor "ci" #:commit "9fceb02d0ae598e95dc970b74767f19372d61af8"
   #:trace-context (traceparent->trace-context
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")))

(define* (sample-report #:key (ui-url "http://localhost:16686"))
  "The report data of the sample canary, its requests linked into the
Jaeger UI at UI-URL."
  (let* ((d (sample-deployment))
         (traces (load-traces (string-append sample-directory "/trace-samples.json"))))
    (make-report (correlate-with-traces d traces) #:deployment d #:traces traces
                 #:ui-url ui-url)))

(define* (write-sample-reports directory #:optional (formats (map car %report-formats)))
  "Write the sample's report in each of FORMATS into DIRECTORY; return
the files written."
  (let ((report (sample-report)))
    (map (lambda (format)
           (let ((file (string-append directory "/correlation-report."
                                      (report-format-extension format))))
             (call-with-output-file file (lambda (port) (write-report report format port)))
             file))
         formats)))

;; Run as a script (not loaded by the demo): write the reports.
(when (and (pair? (command-line))
           (string-suffix? "sample-report.scm" (car (command-line))))
  (let ((args (cdr (command-line))))
    (when (null? args)
      (format (current-error-port) "usage: sample-report.scm DIR [org|md|json|html]...~%")
      (exit 2))
    (for-each (lambda (f) (format #t "~a~%" f))
              (apply write-sample-reports (car args)
                     (if (null? (cdr args)) (list) (list (map string->symbol (cdr args))))))))
