;;; The report as JSON: the report data as it is (schema
;;; deploy-ledger/report/v1, described field by field in the manual), with
;;; the custom sections' text.
(define-module (deploy-ledger reports json)
  #:use-module (deploy-ledger json)
  #:use-module (deploy-ledger reports document)
  #:use-module (deploy-ledger reports plain)
  #:export (report->json-value))

(define* (report->json-value report #:key (sections '()))
  "REPORT with its custom SECTIONS as @code{((title . T) (text . X))}
entries, ready for @code{write-json}."
  (append report
          `((sections
             . ,(list->vector
                 (map (lambda (s)
                        (let ((v ((report-section-render s) report)))
                          `((title . ,(report-section-title s))
                            (text . ,(if (string? v) v (sxml->plain-text v))))))
                      sections))))))
