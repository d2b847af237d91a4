;;; `deploy-ledger correlate': did this deployment make things worse?
(define-module (deploy-ledger cli correlate)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger traces)
  #:use-module (deploy-ledger correlation)
  #:use-module (deploy-ledger integrations tracing)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:use-module (deploy-ledger cli correlation-summary)
  #:export (command-correlate))

(define correlate-help "\
Usage: deploy-ledger correlate ID --traces SOURCE [OPTIONS]
Correlate deployment ID with the traces around it: the SERVER spans of its
service before, during and after it (or its new version against the old
one in the same window, for a canary), with latency percentiles, error
rate, throughput, significance tests and a verdict.

  --traces SOURCE   a trace file or directory (OTLP protobuf or JSON, Jaeger
                    JSON, gzip or not), or a tracing backend: jaeger:URL
                    (a bare http:// or https:// URL is Jaeger too) or
                    tempo:URL, asked for the service's traces over the
                    deployment's windows; repeat for several
  --window D        the baseline and after windows (default: the
                    deployment's duration, at least 10m)
  --compare MODE    auto (default), canary or before-after
  --group-by DIMS   also per group, e.g. region or operation,version
  --bucket B        width of the judge's series (default: window / 30)
  --percentiles P   linear (default) or nearest-rank
  --lenient         skip malformed spans and files instead of failing
  --json            the full result as JSON
  --db FILE         the ledger file

Exit status: 0 pass, 10 marginal, 11 fail (or no verdict); 2 to 5 as for
every command (usage, not found, storage); 6 when a tracing backend could
not be read; 1 for unreadable trace files.
")

(define (trace-source spec d width lenient?)
  "The spans SPEC names for deployment D: a file or directory, or the
traces of D's service over D's windows (of WIDTH) from jaeger:URL, tempo:URL
or a bare http(s) URL (Jaeger).  Backends report what they fetched on
stderr."
  (define (fetch fetcher url)
    (let ((windows (deployment-windows d #:width width)))
      (fetcher #:url url #:service (deployment-event-service-name d)
               #:start (apply min (map window-start windows))
               #:end (apply max (map window-end windows))
               #:lenient? lenient? #:verbose? #t)))
  (cond ((string-prefix? "jaeger:" spec) (fetch jaeger-traces (substring spec 7)))
        ((string-prefix? "tempo:" spec) (fetch tempo-traces (substring spec 6)))
        ((or (string-prefix? "http://" spec) (string-prefix? "https://" spec))
         (fetch jaeger-traces spec))
        (else (load-traces spec #:lenient? lenient?))))

(define (command-correlate args)
  (define cmd "deploy-ledger correlate")
  (with-command
   "correlate" '((traces multi) (window value) (compare value) (group-by value) (bucket value)
                 (percentiles value) (lenient flag) (json flag))
   correlate-help args
   (lambda (o)
     (let* ((rest (options-rest o))
            (_ (unless (= 1 (length rest))
                 (usage-error "~a: expected one deployment ID" cmd)))
            (sources (or (option o 'traces)
                         (usage-error "~a: --traces is required" cmd)))
            (compare (let ((m (option o 'compare "auto")))
                       (if (member m '("auto" "canary" "before-after"))
                           (string->symbol m)
                           (usage-error "~a: unknown --compare \"~a\"" cmd m))))
            (d (call-with-ledger-of
                o (lambda (l)
                    (or (find-deployment l (car rest))
                        (usage-error "~a: no deployment with id \"~a\"" cmd (car rest))))))
            (traces (apply trace-set-merge
                     (map (lambda (s) (trace-source s d (option o 'window) (option o 'lenient)))
                          sources)))
            (group-by (and (option o 'group-by)
                           (map string->symbol (string-split (option o 'group-by) #\,))))
            (percentiles (let ((p (option o 'percentiles "linear")))
                           (if (member p '("linear" "nearest-rank"))
                               (string->symbol p)
                               (usage-error "~a: unknown --percentiles \"~a\"" cmd p))))
            (r (correlate-with-traces d traces #:window (option o 'window) #:compare compare
                                      #:group-by group-by #:bucket (option o 'bucket)
                                      #:percentiles percentiles)))
       (if (option o 'json)
           (begin (display (correlation-result->json r)) (newline))
           (print-correlation-summary r d))
       (verdict->exit-status (correlation-result-verdict r))))))
