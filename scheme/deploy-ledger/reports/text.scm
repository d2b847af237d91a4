;;; How a report shows its figures: one procedure per kind of number, used by
;;; every format, so a latency reads the same in Org, Markdown and HTML.
(define-module (deploy-ledger reports text)
  #:use-module (ice-9 format)
  #:export (show-ms
            show-rate
            show-relative
            show-points
            show-p-value
            show-count
            show-per-second
            show-ratio
            show-score
            show-seconds
            show-value
            show-change
            show-time
            figure-label))

(define (number x) (and (real? x) (finite? x) x))

(define (show-ms x)
  "A latency in milliseconds, e.g. @samp{130.0 ms}; @samp{-} when missing."
  (if (number x) (format #f "~,1f ms" x) "-"))

(define (show-rate x)
  "A rate (0 to 1) as a percentage, e.g. @samp{1.25%}."
  (if (number x) (format #f "~,2f%" (* 100 x)) "-"))

(define (show-relative x)
  "A relative change as a signed percentage, e.g. @samp{+165.3%}."
  (if (number x) (format #f "~,1@f%" (* 100 x)) "-"))

(define (show-points x)
  "A change of a rate in percentage points, e.g. @samp{+0.50 pp}."
  (if (number x) (format #f "~,2@f pp" (* 100 x)) "-"))

(define (show-p-value x)
  "A p-value in scientific notation, e.g. @samp{1.69e-14}."
  (if (number x) (string-downcase (format #f "~,2e" x)) "-"))

(define (show-count x)
  "A count, as a whole number."
  (if (number x) (number->string (inexact->exact (round x))) "-"))

(define (show-per-second x)
  "A throughput, e.g. @samp{0.496/s}."
  (if (number x) (format #f "~,3f/s" x) "-"))

(define (show-ratio x)
  (if (number x) (format #f "~,3f" x) "-"))

(define (show-score x)
  (if (number x) (format #f "~,1f" x) "-"))

(define (show-seconds x)
  "A duration in seconds, e.g. @samp{600.0 s}."
  (if (number x) (format #f "~,1f s" x) "-"))

(define (figure-label figure)
  "The label of a comparison figure (a string such as @code{\"p99\"})."
  (let ((entry (assoc figure '(("count" . "requests") ("throughput" . "throughput")
                              ("error-rate" . "error rate") ("mean" . "latency mean")
                              ("p50" . "latency p50") ("p90" . "latency p90")
                              ("p95" . "latency p95") ("p99" . "latency p99")
                              ("max" . "latency max")))))
    (if entry (cdr entry) figure)))

(define (show-value figure x)
  "The value X of FIGURE (a figure name as a string) in its unit."
  (cond ((equal? figure "count") (show-count x))
        ((equal? figure "throughput") (show-per-second x))
        ((equal? figure "error-rate") (show-rate x))
        (else (show-ms x))))

(define (show-change figure change relative)
  "The change of FIGURE: percentage points for the error rate, relative
otherwise."
  (if (equal? figure "error-rate") (show-points change) (show-relative relative)))

(define (show-time t)
  "An RFC 3339 time T to the millisecond: @samp{2024-01-15T10:00:03.664Z}."
  (cond ((not (string? t)) "-")
        ((string-index t #\.)
         => (lambda (dot)
              (let ((end (or (string-index t #\Z dot) (string-length t))))
                (string-append (substring t 0 (min end (+ dot 4))) (substring t end)))))
        (else t)))
