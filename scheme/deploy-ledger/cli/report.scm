;;; `deploy-ledger report': the impact report of a deployment, in Org,
;;; Markdown, JSON or HTML, with the exit status of `correlate' so that one
;;; pipeline step both publishes and gates.
(define-module (deploy-ledger cli report)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger correlation)
  #:use-module (deploy-ledger reports)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:use-module (deploy-ledger cli correlate)
  #:export (command-report
            ui-url-of-sources))

(define report-help "\
Usage: deploy-ledger report ID --traces SOURCE --format FORMAT [OPTIONS]
       deploy-ledger report ID --prometheus URL [--traces SOURCE] --format FORMAT [OPTIONS]
Correlate deployment ID with its traces, as `deploy-ledger correlate' does,
and write the impact report: the deployment, the verdict, the figures per
window and group, the judge's reasons, the canary's percentiles, the rollout
across regions, new error types, and the slowest and failing requests of the
new version linked into the tracing UI.

  --format FORMAT   org, md (GitHub-flavoured Markdown for a pull request
                    or a chat message, under 65,000 characters), json
                    (schema deploy-ledger/report/v1) or html (one file,
                    charts included, no external assets)
  -o, --output FILE write the report to FILE (default: standard output)
  --ui-url URL      the Jaeger UI (links URL/trace/ID) or any UI whose
                    address holds {trace-id}; default: the URL of a
                    jaeger: source, or a tempo: source's /api/traces/ID
  --top N           how many slowest and failing requests to list (5)
  --chart-bucket D  width of the charts' buckets (default: a sixtieth of
                    the windows)
  --traces SOURCE   a trace file or directory, jaeger:URL, tempo:URL or an
                    http(s) URL (Jaeger); repeat for several
  --prometheus URL  the service mesh's metrics from a Prometheus server (or
                    an exposition file), beside or instead of the traces:
                    their rows are marked (prometheus) in the figures
  --prometheus-preset NAME, --promql NAME=QUERY
                    as for deploy-ledger correlate
  --window D, --compare MODE, --group-by DIMS, --bucket B,
  --percentiles P, --lenient, --db FILE, --max-window D, --max-slices N,
  --timeout D, --retries N, --max-input SIZE,
  --control-version V, --operation NAME, --kind KIND, --attribute K=V,
  --min-requests N, --config FILE, --pass-score S, --marginal-score S,
  --allowed-increase METRIC=RATIO, --critical METRIC
                    as for deploy-ledger correlate

Exit status: as deploy-ledger correlate: 0 pass, 10 marginal, 11 fail (or
no verdict), 12 inconclusive (too little data to judge); 2 usage error,
3 unknown deployment, 5 storage, 6 tracing backend or Prometheus not read (whatever the
reason, a deadline included), 1 unreadable trace file (whatever the
reason, a file over --max-input included) or output file.
")

(define (ui-url-of-sources sources)
  "The tracing UI address implied by the --traces SOURCES: the first
Jaeger URL (its UI serves /trace/ID) or Tempo URL (its API serves
/api/traces/ID); #f for files."
  (any (lambda (s)
         (cond ((string-prefix? "jaeger:" s) (substring s 7))
               ((string-prefix? "tempo:" s)
                (string-append (string-trim-right (substring s 6) #\/) "/api/traces/{trace-id}"))
               ((or (string-prefix? "http://" s) (string-prefix? "https://" s)) s)
               (else #f)))
       sources))

(define (short-options args)
  ;; -o FILE is --output FILE.
  (map (lambda (a) (if (string=? a "-o") "--output" a)) args))

(define (write-atomically file proc)
  "Call PROC with a port on a temporary file beside FILE, then rename it to
FILE: a reader never sees half a report."
  (let* ((tmp (string-append file ".tmp-" (number->string (getpid))))
         (port (catch 'system-error
                 (lambda () (open-output-file tmp))
                 (lambda (key . args)
                   (raise-deploy-ledger-error
                    'output 'command-report
                    (format #f "cannot write the report to ~a: ~a (check that its directory exists and is writable)"
                            file (strerror (system-error-errno (cons key args)))))))))
    (proc port)
    (close-port port)
    (rename-file tmp file)))

(define (command-report args)
  (define cmd "deploy-ledger report")
  (with-command
   "report" (append '((format value) (output value) (ui-url value) (top value)
                      (chart-bucket value))
                    %correlate-options)
   report-help (short-options args)
   (lambda (o)
     (let* ((format (let ((f (or (option o 'format)
                                 (usage-error "~a: --format is required (org, md, json or html)" cmd))))
                      (if (assq (string->symbol f) %report-formats)
                          (string->symbol f)
                          (usage-error "~a: unknown --format \"~a\" (expected org, md, json or html)"
                                       cmd f))))
            (top (let ((n (string->number (option o 'top "5"))))
                   (if (and n (exact-integer? n) (>= n 0) (<= n 1000))
                       n
                       (usage-error "~a: --top must be a count from 0 to 1000, got \"~a\""
                                    cmd (option o 'top)))))
            (ui-url (or (option o 'ui-url) (ui-url-of-sources (option o 'traces '())))))
       (call-with-values (lambda () (correlate-from-options cmd o))
         (lambda (d traces r)
           (let ((report (make-report r #:deployment d #:traces traces #:ui-url ui-url
                                      #:top top #:bucket (option o 'chart-bucket))))
             (if (option o 'output)
                 (write-atomically (option o 'output)
                                   (lambda (port) (write-report report format port)))
                 (write-report report format (current-output-port)))
             (verdict->exit-status (correlation-result-verdict r)))))))))
