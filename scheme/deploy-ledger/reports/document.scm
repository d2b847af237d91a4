;;; The report as a document: titled sections of paragraphs, tables,
;;; property lists and charts, built once from the report data.  The Org,
;;; Markdown and HTML formats each only render this structure, so a table
;;; has the same rows in all three.
;;;
;;; A document is an alist: title, subtitle, and sections, each
;;; (ID TITLE BLOCK ...).  Blocks:
;;;   (p INLINE ...)                 a paragraph
;;;   (table COLUMNS ROW ...)        COLUMNS: (label . left|right) pairs;
;;;                                  a row is a list of cells, each an INLINE
;;;   (props (LABEL . INLINE) ...)   the deployment's properties
;;;   (chart NAME)                   a chart (HTML only): latency, errors,
;;;                                  comparison or rollout
;;;   (custom VALUE)                 a custom section's SXML or text
;;; An INLINE is a string, (link TEXT URL), (code TEXT) or (strong TEXT).
(define-module (deploy-ledger reports document)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger reports data)
  #:use-module (deploy-ledger reports text)
  #:export (report->document
            document-text-sections
            inline->text
            make-report-section
            report-section?
            report-section-title
            report-section-render))

;;; ---- custom sections ----

(define (make-report-section title render)
  "A custom section titled TITLE whose body is @code{(RENDER report)}: SXML
(e.g. @code{'(p \"...\")}, @code{'(ul (li ...))}, @code{'(table ...)}) or a
string of plain text, from the report data."
  (unless (and (string? title) (procedure? render))
    (raise-deploy-ledger-error
     'invalid-input 'make-report-section
     (format #f "make-report-section: expected a title (a string) and a procedure from the report data to SXML or text, got ~s and ~s"
             title render)))
  (vector 'report-section title render))

(define (report-section? x)
  "True when X is a custom section."
  (and (vector? x) (= 3 (vector-length x)) (eq? 'report-section (vector-ref x 0))))
(define (report-section-title s) (vector-ref s 1))
(define (report-section-render s) (vector-ref s 2))

;;; ---- helpers ----

(define (inline->text x)
  "The plain text of an inline element."
  (cond ((string? x) x)
        ((and (pair? x) (memq (car x) '(link code strong))) (cadr x))
        (else (format #f "~a" x))))

(define (items v) (if (vector? v) (vector->list v) '()))

(define (value x) (if (or (not x) (eq? x 'null)) "-" (format #f "~a" x)))

(define (group-text group)
  (if (not (pair? group))
      "all"
      (string-join (map (lambda (kv) (format #f "~a=~a" (car kv) (value (cdr kv)))) group) " ")))

(define (trace-cell entry)
  (let ((id (report-ref entry 'trace-id)) (link (report-ref entry 'link)))
    (cond ((not id) "-")
          (link `(link ,id ,link))
          (else `(code ,id)))))

(define (side s)
  (string-join (filter-map (lambda (k) (report-ref s k)) '(window version)) " "))

(define (interval lo hi show)
  (if (and lo hi) (format #f "[~a, ~a]" (show lo) (show hi)) "-"))

;;; ---- sections ----

(define (test-sentence label test t estimate show)
  "A paragraph on test T (an object of the report, or #f): LABEL and its
ESTIMATE shown by SHOW, the interval and TEST's p-value; none without T."
  (if t
      `((p ,(format #f "~a ~a, ~a% interval ~a, ~a p = ~a." label (show (report-ref t estimate))
                    (show-count (* 100 (report-ref t 'conf-level)))
                    (interval (report-ref t 'ci-low) (report-ref t 'ci-high) show)
                    test (show-p-value (report-ref t 'p-value)))))
      '()))

(define (verdict-section r)
  (let* ((v (report-ref r 'verdict))
         (d (report-ref r 'deployment))
         (c (report-ref r 'comparison))
         (overall (and c (report-ref c 'overall))))
    `(verdict
      "Verdict"
      (p (strong ,(string-upcase (value (report-ref v 'verdict))))
         ,(format #f ", score ~a (pass at ~a, marginal at ~a): ~a."
                  (show-score (report-ref v 'score)) (show-score (report-ref v 'pass-threshold))
                  (show-score (report-ref v 'marginal-threshold)) (value (report-ref v 'reason))))
      (p ,(format #f "~a ~a (~a~a) in ~a, from ~a to ~a."
                  (report-ref d 'service) (report-ref d 'version) (value (report-ref d 'type))
                  (if (report-ref d 'previous-version)
                      (format #f ", after ~a" (report-ref d 'previous-version)) "")
                  (value (report-ref d 'environment)) (value (report-ref d 'started))
                  (value (report-ref d 'completed))))
      ,@(if c
            `((p ,(format #f "Compared (~a): ~a against ~a." (report-ref c 'mode)
                          (side (report-ref c 'experiment)) (side (report-ref c 'control))))
              (table (("figure" . left) ("control" . right) ("experiment" . right)
                      ("change" . right))
                     ,@(map (lambda (f)
                              (let ((fig (report-ref f 'figure)))
                                (list (figure-label fig)
                                      (show-value fig (report-ref f 'control))
                                      (show-value fig (report-ref f 'experiment))
                                      (show-change fig (report-ref f 'change)
                                                   (report-ref f 'relative-change)))))
                            (items (report-ref overall 'figures))))
              (chart comparison)
              ,@(test-sentence "Latency shift" "Mann-Whitney" (report-ref overall 'latency-test)
                               'shift show-ms)
              ,@(test-sentence "Error rate change" "two-proportion"
                               (report-ref overall 'error-test) 'difference show-points))
            '()))))

(define (deployment-section r)
  (let ((d (report-ref r 'deployment)))
    `(deployment
      "Deployment"
      (props ("ID" . (code ,(value (report-ref d 'id))))
             ("Service" . ,(value (report-ref d 'service)))
             ("Version" . ,(value (report-ref d 'version)))
             ("Previous version" . ,(value (report-ref d 'previous-version)))
             ("Type" . ,(value (report-ref d 'type)))
             ("Environment" . ,(value (report-ref d 'environment)))
             ("Regions" . ,(let ((rs (items (report-ref d 'regions))))
                             (if (null? rs) "-" (string-join rs " "))))
             ("Status" . ,(value (report-ref d 'status)))
             ("Started" . ,(value (report-ref d 'started)))
             ("Completed" . ,(value (report-ref d 'completed)))
             ("Traceparent" . (code ,(value (report-ref d 'traceparent))))
             ("Commit" . ,(value (report-ref d 'commit)))
             ("Actor" . ,(value (report-ref d 'actor)))))))

(define (judge-section r)
  (let ((metrics (items (report-ref r 'judge))))
    (if (null? metrics)
        '()
        `((judge
           "The judge"
           (table (("metric" . left) ("result" . left) ("control" . right)
                   ("experiment" . right) ("ratio" . right) ("p-value" . right) ("why" . left))
                  ,@(map (lambda (m)
                           (let ((show (if (equal? (report-ref m 'metric) "error-rate")
                                           show-rate show-ms)))
                             (list (string-append (report-ref m 'metric)
                                                  (if (eq? #t (report-ref m 'critical)) " (critical)" ""))
                                   (value (report-ref m 'classification))
                                   (show (report-ref m 'control-median))
                                   (show (report-ref m 'experiment-median))
                                   (show-ratio (report-ref m 'ratio))
                                   (show-p-value (report-ref m 'p-value))
                                   (value (report-ref m 'reason)))))
                         metrics))
           (p "Control and experiment are the medians of the metric's series (error rate: the rates)."))))))

(define (canary-section r)
  (let ((c (report-ref r 'canary)))
    (if (not c)
        '()
        `((canary
           ,(format #f "Canary ~a against ~a" (report-ref c 'canary-version)
                    (report-ref c 'control-version))
           (table (("percentile" . left) ("control" . right) ("canary" . right)
                   ("change" . right) ("judge" . left))
                  ,@(map (lambda (p)
                           (list (format #f "p~a" (report-ref p 'percentile))
                                 (show-ms (report-ref p 'control)) (show-ms (report-ref p 'canary))
                                 (show-relative (report-ref p 'relative-change))
                                 (value (report-ref p 'classification))))
                         (items (report-ref c 'percentiles))))
           ,@(let ((ops (items (report-ref c 'operations))))
               (if (null? ops)
                   '()
                   `((p "The operations that moved most:")
                     (table (("operation" . left) ("control requests" . right)
                             ("canary requests" . right) ("p99 control" . right)
                             ("p99 canary" . right) ("p99 change" . right) ("p-value" . right))
                            ,@(map (lambda (op)
                                     (list (value (report-ref op 'operation))
                                           (show-count (report-ref op 'control-requests))
                                           (show-count (report-ref op 'canary-requests))
                                           (show-ms (report-ref op 'p99-control))
                                           (show-ms (report-ref op 'p99-canary))
                                           (show-relative (report-ref op 'p99-relative-change))
                                           (show-p-value (report-ref op 'p-value))))
                                   ops))))))))))

(define (series-section r)
  (if (report-ref r 'series)
      `((over-time "Over time" (chart latency) (chart errors)))
      '()))

(define (windows-section r)
  (let ((groups (items (report-ref r 'comparison 'groups))))
    `((windows
       "Windows and groups"
       (table (("window" . left) ("from" . left) ("to" . left))
              ,@(map (lambda (w) (list (value (report-ref w 'name)) (show-time (report-ref w 'start))
                                       (show-time (report-ref w 'end))))
                     (items (report-ref r 'windows))))
       (table (("window" . left) ("group" . left) ("requests" . right) ("throughput" . right)
               ("error rate" . right) ("mean" . right) ("p50" . right) ("p90" . right)
               ("p95" . right) ("p99" . right))
              ,@(map (lambda (m)
                       (list (value (report-ref m 'window))
                             ;; The mesh's rows (Prometheus) beside the traces'.
                             (let ((source (report-ref m 'source)))
                               (if (string? source)
                                   (string-append (group-text (report-ref m 'group))
                                                  " (" source ")")
                                   (group-text (report-ref m 'group))))
                             (show-count (report-ref m 'requests))
                             (show-per-second (report-ref m 'throughput))
                             (show-rate (report-ref m 'error-rate))
                             (show-ms (report-ref m 'mean)) (show-ms (report-ref m 'p50))
                             (show-ms (report-ref m 'p90)) (show-ms (report-ref m 'p95))
                             (show-ms (report-ref m 'p99))))
                     (items (report-ref r 'metrics))))
       ,@(if (null? groups)
             '()
             `((p "Each group compared, experiment against control:")
               (table (("group" . left) ("requests" . right) ("p99" . right)
                       ("p99 change" . right) ("latency shift" . right) ("interval" . right)
                       ("p-value" . right) ("error rate change" . right) ("interval" . right)
                       ("p-value" . right))
                      ,@(map (lambda (g)
                               (let* ((figures (items (report-ref g 'figures)))
                                      (fig (lambda (name)
                                             (find (lambda (f) (equal? (report-ref f 'figure) name))
                                                   figures)))
                                      (count (fig "count"))
                                      (p99 (fig "p99"))
                                      (lt (report-ref g 'latency-test))
                                      (et (report-ref g 'error-test)))
                                 (list (group-text (report-ref g 'group))
                                       (format #f "~a / ~a" (show-count (report-ref count 'control))
                                               (show-count (report-ref count 'experiment)))
                                       (format #f "~a / ~a" (show-ms (report-ref p99 'control))
                                               (show-ms (report-ref p99 'experiment)))
                                       (show-relative (report-ref p99 'relative-change))
                                       (show-ms (report-ref lt 'shift))
                                       (interval (report-ref lt 'ci-low) (report-ref lt 'ci-high) show-ms)
                                       (show-p-value (report-ref lt 'p-value))
                                       (show-points (report-ref et 'difference))
                                       (interval (report-ref et 'ci-low) (report-ref et 'ci-high)
                                                 show-points)
                                       (show-p-value (report-ref et 'p-value)))))
                             groups))))))))

(define (rollout-section r)
  (let ((ro (report-ref r 'rollout)))
    (if (not ro)
        '()
        `((rollout
           "Rollout across regions"
           (chart rollout)
           (table (("region" . left) ("new version from" . left) ("lag" . right)
                   ("complete at" . left) ("new / all requests" . right) ("share at end" . right))
                  ,@(map (lambda (g)
                           (list (value (report-ref g 'region))
                                 (let ((t (report-ref g 'first-seen))) (if t (show-time t) "never"))
                                 (show-seconds (report-ref g 'lag-seconds))
                                 (show-time (report-ref g 'complete-at))
                                 (format #f "~a / ~a" (show-count (report-ref g 'new-requests))
                                         (show-count (report-ref g 'requests)))
                                 (show-rate (report-ref g 'share-at-end))))
                         (items (report-ref ro 'regions))))
           (p ,(let ((never (items (report-ref ro 'never-reached))))
                 (if (null? never)
                     "Every region served the new version."
                     (format #f "Never reached: ~a." (string-join (map value never) ", "))))))))))

(define (errors-section r)
  (let ((types (items (report-ref r 'new-error-types))))
    (if (null? types)
        '()
        `((new-errors
           "New error types"
           (table (("error type" . left) ("count" . right) ("first seen" . left)
                   ("operation" . left) ("example" . left))
                  ,@(map (lambda (t)
                           (list (value (report-ref t 'type)) (show-count (report-ref t 'count))
                                 (show-time (report-ref t 'first-seen)) (value (report-ref t 'operation))
                                 (let ((e (report-ref t 'example)))
                                   (if e (trace-cell e) "-"))))
                         types)))))))

(define (requests-section r)
  (let* ((q (report-ref r 'requests))
         (slowest (items (report-ref q 'slowest)))
         (failing (items (report-ref q 'failing)))
         (row (lambda (e last)
                (list (trace-cell e) (value (report-ref e 'operation))
                      (value (report-ref e 'region)) (show-time (report-ref e 'start)) last))))
    (if (and (null? slowest) (null? failing))
        '()
        `((requests
           ,(format #f "Requests of ~a since ~a" (report-ref q 'version) (report-ref q 'since))
           (p ,(format #f "~a requests; the slowest and the first failing ones~a."
                       (show-count (report-ref q 'requests))
                       (if (report-ref q 'ui-url)
                           (format #f ", linked to ~a" (report-ref q 'ui-url))
                           " (give --ui-url to link them into Jaeger or Tempo)")))
           ,@(if (null? slowest)
                 '()
                 `((table (("slowest: trace" . left) ("operation" . left) ("region" . left)
                           ("start" . left) ("duration" . right))
                          ,@(map (lambda (e) (row e (show-ms (report-ref e 'duration)))) slowest))))
           ,@(if (null? failing)
                 '()
                 `((table (("failing: trace" . left) ("operation" . left) ("region" . left)
                           ("start" . left) ("error" . left))
                          ,@(map (lambda (e) (row e (value (report-ref e 'error-type)))) failing)))))))))

(define* (report->document r #:key (sections '()))
  "The document of report data R, with the custom SECTIONS (made by
@code{make-report-section}) at the end."
  (let ((d (report-ref r 'deployment)))
    `((title . ,(format #f "Deployment report: ~a ~a" (report-ref d 'service)
                        (report-ref d 'version)))
      (subtitle . ,(format #f "~a, verdict ~a" (value (report-ref d 'started))
                           (value (report-ref r 'verdict 'verdict))))
      (sections
       . (,(verdict-section r)
          ,(deployment-section r)
          ,@(judge-section r)
          ,@(canary-section r)
          ,@(series-section r)
          ,@(rollout-section r)
          ,@(errors-section r)
          ,@(requests-section r)
          ,@(windows-section r)
          ,@(map (lambda (s)
                   (unless (report-section? s)
                     (raise-deploy-ledger-error
                      'invalid-input 'report->document
                      (format #f "#:sections: ~s is not a section; make each with make-report-section" s)))
                   `(custom ,(report-section-title s) (custom ,((report-section-render s) r))))
                 sections))))))

(define (document-text-sections doc)
  "The sections of DOC without their charts, for the formats that have
none; a section that held only charts is left out."
  (filter-map (lambda (section)
                (let ((blocks (remove (lambda (b) (eq? (car b) 'chart)) (cddr section))))
                  (and (pair? blocks) (cons* (car section) (cadr section) blocks))))
              (assq-ref doc 'sections)))
