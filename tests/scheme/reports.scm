;;; (deploy-ledger reports): the report data of the sample canary
;;; (examples/trace-samples.json), each format against its golden file, the
;;; JSON against doc/report-schema.json, the manual describing every field,
;;; custom sections, the Markdown limit, and errors.
;;;
;;; After a deliberate change of a format, rewrite the golden files with
;;;   REPORTS_UPDATE_GOLDEN=1 make -C build check TESTS=tests/scheme/reports.scm
;;; and read the diff before committing it.
(use-modules (tap)
             (json-schema)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 rdelim)
             (ice-9 exceptions)
             (ice-9 regex)
             (deploy-ledger core errors)
             (deploy-ledger core types)
             (deploy-ledger correlation)
             (deploy-ledger traces)
             (deploy-ledger integrations tracing)
             (deploy-ledger reports)
             (deploy-ledger cli report))

(define srcdir (or (getenv "abs_top_srcdir") "."))
(define (src . parts) (string-join (cons srcdir parts) "/"))
(define (slurp file) (call-with-input-file file read-string))

;; The sample deployment and its report, as the demo and the examples make them.
(load (src "examples/sample-report.scm"))
(define report (sample-report))
(define (r . keys) (apply report-ref report keys))
(define (items v) (vector->list v))

(test-begin "reports")

;;; ---- the data ----

(test-equal "schema" "deploy-ledger/report/v1" (r 'schema))
(test-assert "report? knows report data" (and (report? report) (not (report? '((a . 1))))))
(test-equal "the deployment" '("checkout" "v2.4.0" "v2.3.9" "canary" #("us-east-1" "eu-west-1" "ap-southeast-1"))
  (list (r 'deployment 'service) (r 'deployment 'version) (r 'deployment 'previous-version)
        (r 'deployment 'type) (r 'deployment 'regions)))
(test-equal "its traceparent" "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
  (r 'deployment 'traceparent))
(test-equal "the verdict: fail on p99, exit 11" '("fail" "critical metric latency-p99 is high" 11)
  (list (r 'verdict 'verdict) (r 'verdict 'reason) (r 'verdict 'exit-status)))
(test-equal "canary: p50 passes, p99 is high" '("pass" "high")
  (map (lambda (p) (report-ref p 'classification))
       (list (vector-ref (r 'canary 'percentiles) 0) (vector-ref (r 'canary 'percentiles) 3))))
(test-assert "canary p99 more than three times the control's"
  (let ((p99 (vector-ref (r 'canary 'percentiles) 3)))
    (> (report-ref p99 'canary) (* 3 (report-ref p99 'control)))))
(test-equal "the percentiles are the comparison's, in milliseconds"
  (report-ref (find (lambda (f) (equal? (report-ref f 'figure) "p99"))
                    (items (r 'comparison 'overall 'figures)))
              'experiment)
  (report-ref (vector-ref (r 'canary 'percentiles) 3) 'canary))
(test-equal "rollout: ap-southeast-1 never reached" #("ap-southeast-1") (r 'rollout 'never-reached))
(test-equal "rollout: eu-west-1 reached about ten minutes in" 10
  (let ((eu (find (lambda (g) (equal? (report-ref g 'region) "eu-west-1")) (items (r 'rollout 'regions)))))
    (inexact->exact (floor (/ (report-ref eu 'lag-seconds) 60)))))
(test-equal "the new error type, with an example trace linked into Jaeger"
  '("inventory reservation timed out" #t)
  (let ((t (vector-ref (r 'new-error-types) 0)))
    (list (report-ref t 'type)
          (string=? (report-ref t 'example 'link)
                    (string-append "http://localhost:16686/trace/" (report-ref t 'example 'trace-id))))))
(test-assert "the slowest requests, slowest first, all of v2.4.0 since the start"
  (let ((d (map (lambda (e) (report-ref e 'duration)) (items (r 'requests 'slowest)))))
    (and (= 5 (length d)) (apply >= d) (> (car d) 400))))
(test-assert "the failing requests failed"
  (every (lambda (e) (string? (report-ref e 'error-type))) (items (r 'requests 'failing))))
(test-equal "time series: 90-second buckets over the 90 minutes of the windows" '(61 90.0)
  (list (vector-length (r 'series 'all)) (r 'series 'bucket-seconds)))
(test-assert "the series' canary p99 after the start exceeds the control's somewhere"
  (any (lambda (c k) (and (real? (report-ref c 'p99)) (real? (report-ref k 'p99))
                          (> (report-ref c 'p99) (* 2 (report-ref k 'p99)))))
       (items (r 'series 'canary)) (items (r 'series 'control))))

;;; ---- the formats against their golden files ----

(define (golden format file)
  (let ((text (report->string report format)))
    (when (getenv "REPORTS_UPDATE_GOLDEN")
      (call-with-output-file file (lambda (p) (display text p))))
    (string=? text (slurp file))))

(test-assert "Org: examples/correlation-report.org is current"
  (golden 'org (src "examples/correlation-report.org")))
(test-assert "Markdown: the golden file" (golden 'md (src "tests/data/reports/correlation-report.md")))
(test-assert "JSON: the golden file" (golden 'json (src "tests/data/reports/correlation-report.json")))
(test-assert "HTML: the golden file" (golden 'html (src "tests/data/reports/correlation-report.html")))

;;; ---- the JSON and its schema ----

(define schema (read-json-text (slurp (src "doc/report-schema.json"))))
(define json (read-json-text (report->string report 'json)))
(test-equal "the JSON report is valid against doc/report-schema.json" '()
  (json-schema-errors schema json))
(test-assert "the validator sees a report without its verdict"
  (let ((broken (remove (lambda (kv) (equal? (car kv) "verdict")) json)))
    (member "/: missing \"verdict\"" (json-schema-errors schema broken))))
(test-assert "the validator sees a latency given as a string"
  (let ((broken (read-json-text (regexp-substitute/global
                                 #f "\"p99\":([0-9.]+)" (report->string report 'json)
                                 'pre "\"p99\":\"" 1 "\"" 'post))))
    (pair? (json-schema-errors schema broken))))

(define (schema-fields s)
  ;; Every property name the schema declares, in its definitions too.
  (cond ((and (list? s) (every pair? s))
         (append (map car (or (assoc-ref s "properties") '()))
                 (append-map (lambda (kv) (schema-fields (cdr kv))) s)))
        ((vector? s) (append-map schema-fields (vector->list s)))
        (else '())))
(define manual (slurp (src "doc/reports.texi")))
(test-equal "the manual describes every field of the schema" '()
  (filter (lambda (field)
            (not (string-match (string-append "@itemx? " (regexp-quote field) "\n") manual)))
          (delete-duplicates (schema-fields schema))))

;;; ---- what every format shows ----

(define md (report->string report 'md))
(define org (report->string report 'org))
(define html (report->string report 'html))
(test-assert "Markdown: the verdict first, details folded"
  (and (string-contains md "**FAIL**, score 0.0")
       (< (string-contains md "**FAIL**") (string-contains md "<details>"))))
(test-assert "Org: the deployment in a property drawer"
  (string-match "\\* Deployment\n:PROPERTIES:\n:ID: 01a0f2c4-9b00-7000-8000-00000000c0de\n" org))
(test-assert "Org: trace links as Org links"
  (string-contains org (string-append "[[http://localhost:16686/trace/"
                                      (report-ref (vector-ref (r 'requests 'slowest) 0) 'trace-id)
                                      "]")))
(test-assert "HTML: one file, no script, no external asset"
  (not (or (string-contains html "<script") (string-contains html "src=")
           (string-contains html "<link") (string-contains html "url("))))
(test-assert "HTML: four charts, each titled and described"
  (every (lambda (id) (and (string-contains html (format #f "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-~a\"" id))
                           (string-contains html (format #f "<title id=\"chart-~a-title\">" id))
                           (string-contains html (format #f "<desc id=\"chart-~a-desc\">" id))))
         '("latency" "errors" "comparison" "rollout")))
(test-assert "HTML: dark theme and print styles"
  (and (string-contains html "@media (prefers-color-scheme: dark)")
       (string-contains html "@media print")))

;;; ---- an inconclusive verdict, as the judge may give ----

(define inconclusive
  (map (lambda (kv)
         (if (eq? (car kv) 'verdict)
             `(verdict (verdict . "inconclusive") (score . null)
                       (reason . "too few requests of v2.4.0: 12 of the 100 needed")
                       (pass-threshold . 95) (marginal-threshold . 75) (exit-status . 12))
             kv))
       report))
(test-assert "an inconclusive verdict is shown with its reason"
  (let ((md (report->string inconclusive 'md)) (h (report->string inconclusive 'html)))
    (and (string-contains md "**INCONCLUSIVE**, score -")
         (string-contains md "too few requests of v2.4.0: 12 of the 100 needed")
         (string-contains h "verdict-inconclusive"))))

;;; ---- custom sections ----

(define owners
  (make-report-section
   "Owners"
   (lambda (rep)
     `(div (p "Paged: the " (strong ,(report-ref rep 'deployment 'service)) " team.")
           (ul (li "verdict " ,(report-ref rep 'verdict 'verdict)))))))
(test-assert "a custom section in every format"
  (and (string-contains (report->string report 'org #:sections (list owners))
                        "* Owners\nPaged: the checkout team.\n\n- verdict fail")
       (string-contains (report->string report 'md #:sections (list owners))
                        "<details><summary>Owners</summary>\n\nPaged: the checkout team.")
       (string-contains (report->string report 'html #:sections (list owners))
                        "<h2>Owners</h2><div><p>Paged: the <strong>checkout</strong> team.</p>")
       (string-contains (report->string report 'json #:sections (list owners))
                        "\"sections\":[{\"title\":\"Owners\",\"text\":\"Paged: the checkout team.\\n\\n- verdict fail\"}]")))
(test-assert "a custom section may be plain text"
  (string-contains (report->string report 'md #:sections
                                   (list (make-report-section "Note" (lambda (rep) "freeze from Friday"))))
                   "freeze from Friday"))

;;; ---- Markdown stays under 65,000 characters ----

(define many-groups
  ;; 3,000 operations, each its own group: far more table than a comment holds.
  (let* ((t0 (deployment-event-started (sample-deployment)))
         (spans (append-map
                 (lambda (i)
                   (map (lambda (k)
                          `((service . "checkout") (operation . ,(format #f "GET /item/~a" i))
                            (version . ,(if (odd? k) "v2.4.0" "v2.3.9")) (region . "us-east-1")
                            (start . ,(+ t0 (* (- k 10) 60000000000) (* i 1000)))
                            (duration . ,(* (+ 10 (modulo (* i k) 7)) 1000000))
                            (error . #f)))
                        (iota 30)))
                 (iota 3000)))
         (traces (spans->trace-set spans))
         (d (sample-deployment)))
    (make-report (correlate-with-traces d traces #:group-by '(operation)) #:deployment d
                 #:traces traces)))
(define many-md (report->string many-groups 'md))
(test-assert "Markdown of 3,000 groups: under 65,000 characters, the cut said"
  (and (< (string-length many-md) 65000)
       (> (vector-length (report-ref many-groups 'metrics)) 3000)
       (string-contains many-md "more rows in the JSON or HTML report")))

;;; ---- errors and links ----

(define (error-message thunk)
  (guard (e ((deploy-ledger-error? e) (deploy-ledger-error-message e)))
    (thunk)
    #f))
(test-assert "an unknown format is refused, naming the formats"
  (string-contains (or (error-message (lambda () (report->string report 'pdf))) "")
                   "unknown report format pdf: expected one of org, md, json, html"))
(test-assert "a report of another deployment is refused"
  (string-contains
   (or (error-message
        (lambda ()
          (make-report (correlate-with-traces (sample-deployment) (spans->trace-set '()))
                       #:deployment (make-deployment-event #:service-name "x" #:version "1"))))
       "")
   "pass the event it was made from"))
(test-assert "something that is not report data is refused"
  (error-message (lambda () (report->string '((schema . "other")) 'md))))
(test-assert "a custom section needs a title and a procedure"
  (error-message (lambda () (make-report-section 'owners "text"))))
(test-equal "Jaeger links" "http://jaeger:16686/trace/abc" (trace-link "http://jaeger:16686/" "abc"))
(test-equal "links through a {trace-id} template"
  "https://grafana/explore?trace=abc&x=1" (trace-link "https://grafana/explore?trace={trace-id}&x=1" "abc"))
(test-equal "no UI, no link" #f (trace-link #f "abc"))
(test-equal "the UI of the sources: Jaeger's own, Tempo's API"
  '("http://jaeger:16686" "http://tempo:3200/api/traces/{trace-id}" #f)
  (list (ui-url-of-sources '("traces.json" "jaeger:http://jaeger:16686"))
        (ui-url-of-sources '("tempo:http://tempo:3200/"))
        (ui-url-of-sources '("traces.json"))))

(test-end "reports")
