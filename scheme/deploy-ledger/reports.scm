;;; Impact reports: what a person reads after a deployment, and what a
;;; pipeline posts to a pull request, a ticket or a chat channel.  The report
;;; is plain data made from the correlation result (reports/data.scm); each
;;; format renders it: Org, Markdown, JSON and HTML with SVG charts.
(define-module (deploy-ledger reports)
  #:use-module (srfi srfi-1)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger json)
  #:use-module (deploy-ledger reports data)
  #:use-module (deploy-ledger reports document)
  #:use-module (deploy-ledger reports org)
  #:use-module (deploy-ledger reports markdown)
  #:use-module (deploy-ledger reports json)
  #:use-module (deploy-ledger reports html)
  #:re-export (%report-schema
               make-report
               report?
               report-ref
               trace-link
               make-report-section
               report-section?
               report-section-title)
  #:export (%report-formats
            write-report
            report->string
            report-format-extension))

(define %report-formats
  ;; Each format: its name, its file extension.
  '((org . "org") (md . "md") (json . "json") (html . "html")))

(define (check-format who name)
  (unless (assq name %report-formats)
    (raise-deploy-ledger-error
     'invalid-input who
     (format #f "unknown report format ~s: expected one of ~a" name
             (string-join (map (lambda (f) (symbol->string (car f))) %report-formats) ", ")))))

(define (report-format-extension name)
  "The file extension of report FORMAT (a symbol: @code{org}, @code{md},
@code{json} or @code{html})."
  (check-format 'report-format-extension name)
  (assq-ref %report-formats name))

(define* (write-report report name #:optional (port (current-output-port))
                       #:key (sections '()))
  "Write REPORT (made by @code{make-report}) to PORT in format NAME: @code{org},
@code{md} (GitHub-flavoured Markdown, under 65,000 characters), @code{json}
(schema @code{deploy-ledger/report/v1}) or @code{html} (one file with its
charts).  SECTIONS lists custom sections (@code{make-report-section}),
added at the end."
  (check-format 'write-report name)
  (unless (report? report)
    (raise-deploy-ledger-error
     'invalid-input 'write-report
     (format #f "expected report data made by make-report, got ~a"
             (if (pair? report) "an alist without its schema" (format #f "~s" report)))))
  (case name
    ((json) (write-json (report->json-value report #:sections sections) port) (newline port))
    ((org) (document->org (report->document report #:sections sections) port))
    ((md) (document->markdown (report->document report #:sections sections) port))
    ((html) (document->html (report->document report #:sections sections) report port))))

(define* (report->string report name #:key (sections '()))
  "REPORT in format NAME as a string (see @code{write-report})."
  (call-with-output-string
    (lambda (port) (write-report report name port #:sections sections))))
