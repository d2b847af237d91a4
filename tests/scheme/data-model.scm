;;; Facts of the data model that live once, in C, and reach Scheme
;;; through one procedure each: span kind names, durations, the judge's
;;; defaults and a trace context from its parts.  Each is tested here
;;; through every Scheme procedure that reads it, so that none can drift.
(use-modules (tap)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 exceptions)
             (ice-9 threads)
             (web server)
             (web request)
             (web response)
             (web uri)
             (deploy-ledger core errors)
             (deploy-ledger core time)
             (deploy-ledger core trace-context)
             (deploy-ledger core types)
             (deploy-ledger judge)
             (deploy-ledger correlation)
             (deploy-ledger traces)
             (deploy-ledger integrations tracing)
             (deploy-ledger cli))

(define T0 1705309200000000000)           ; 2024-01-15T09:00:00Z
(define S 1000000000)

(define (error-of thunk)
  "The deploy-ledger error THUNK raises, or #f."
  (guard (e ((deploy-ledger-error? e) e)) (thunk) #f))

(test-begin "data-model")

;;; ---- span kinds: one C table ----

(define kind-names '(unspecified internal server client producer consumer))
(test-equal "the OTLP numbers name the six kinds in order" kind-names
  (map integer->span-kind (iota 6)))
(test-equal "every name round-trips to its number" (iota 6)
  (map span-kind->integer (map integer->span-kind (iota 6))))
(test-equal "no kind for 6 or -1" '(#f #f) (map integer->span-kind '(6 -1)))

(define unknown-kind-message
  "unknown span kind \"sideways\" (expected unspecified, internal, server, client, producer or consumer)")
(define kind-error (error-of (lambda () (span-kind->integer 'sideways))))
(test-eq "an unknown kind: invalid input" 'invalid-input
  (and kind-error (deploy-ledger-error-code kind-error)))
(test-equal "the error lists the valid kinds" unknown-kind-message
  (and kind-error (deploy-ledger-error-message kind-error)))

(define one-of-each
  (spans->trace-set (map (lambda (k i) `((service . "a") (operation . "op") (kind . ,k)
                                         (start . ,(+ T0 i)) (duration . 1000)))
                         kind-names (iota 6))))
(test-equal "spans->trace-set and trace-set->list read and write the same names" kind-names
  (map (lambda (s) (assq-ref s 'kind)) (trace-set->list one-of-each)))
(test-equal "trace-set-filter takes every name" '(1 1 1 1 1 1)
  (map (lambda (k) (trace-set-count (trace-set-filter one-of-each #:kind k))) kind-names))

(define filter-error (error-of (lambda () (trace-set-filter one-of-each #:kind 'sideways))))
(test-equal "trace-set-filter: the same error" unknown-kind-message
  (and filter-error (deploy-ledger-error-message filter-error)))
(test-eq "naming trace-set-filter" 'trace-set-filter
  (and filter-error (deploy-ledger-error-origin filter-error)))
(define spans-error
  (error-of (lambda () (spans->trace-set '(((start . 0) (duration . 1) (kind . sideways)))))))
(test-equal "spans->trace-set: the same error" unknown-kind-message
  (and spans-error (deploy-ledger-error-message spans-error)))

;;; ---- durations: dl_duration_parse, through duration->ns ----

;; A deployment and traces to correlate: the windows need only exist.
(define deployment
  (make-deployment-event #:service-name "a" #:version "v2" #:previous-version "v1"
                         #:started (+ T0 (* 3600 S)) #:completed (+ T0 (* 3660 S))))
(define traces
  (spans->trace-set (map (lambda (i) `((service . "a") (operation . "op") (version . "v1")
                                       (start . ,(+ T0 (* i 60 S))) (duration . 1000)))
                         (iota 120))))

;; A loopback Jaeger (v1 API) and Tempo that find nothing, to count the
;; slices a fetch asks for.
(define (handler request body)
  (let ((path (uri-path (request-uri request)))
        (json (build-response #:code 200 #:headers '((content-type . (application/json))))))
    (cond ((string=? path "/api/traces") (values json "{\"data\":[],\"total\":0}"))
          ((string=? path "/api/search") (values json "{\"traces\":[],\"metrics\":{}}"))
          (else (values (build-response #:code 404) "not found")))))
(define sock (socket PF_INET SOCK_STREAM 0))
(setsockopt sock SOL_SOCKET SO_REUSEADDR 1)
(bind sock AF_INET INADDR_LOOPBACK 0)
(listen sock 16)
(define url (format #f "http://127.0.0.1:~a" (sockaddr:port (getsockname sock))))
(call-with-new-thread (lambda () (run-server handler 'http `(#:socket ,sock))))

;; Every Scheme procedure that takes a duration, as (name who proc): PROC
;; gives it the duration D and answers the nanoseconds it understood.
(define entry-points
  `(("duration->ns" duration->ns ,(lambda (d) (duration->ns d)))
    ("deployment-windows" deployment-windows
     ,(lambda (d) (let ((b (assq 'baseline (deployment-windows deployment #:width d))))
                    (- (window-end b) (window-start b)))))
    ("time-buckets" time-buckets
     ,(lambda (d) (let ((b (car (time-buckets T0 (+ T0 (* 7200 S)) d))))
                    (- (window-end b) (window-start b)))))
    ("time-series" time-series
     ,(lambda (d) (let ((ts (time-series traces T0 (+ T0 (* 7200 S)) #:bucket d)))
                    (- (car (cadr ts)) (car (car ts))))))
    ("correlate-with-traces #:window" correlate-with-traces
     ,(lambda (d) (assq-ref (correlation-result->alist
                             (correlate-with-traces deployment traces #:window d #:judge #f))
                            'window-width)))
    ;; A fetch over three durations asks for three slices of one.  (A bad
    ;; duration gets a window of three seconds, to be refused by the fetch.)
    ("jaeger-traces #:slice" jaeger-traces
     ,(lambda (d) (let* ((ns (false-if-exception (duration->ns d)))
                         (set (jaeger-traces #:url url #:service "a" #:api 'v1 #:slice d
                                             #:start T0 #:end (+ T0 (* 3 (or ns S))))))
                    (and (= 3 (assq-ref (trace-set-stats set) 'slices)) ns))))
    ("tempo-traces #:slice" tempo-traces
     ,(lambda (d) (let* ((ns (false-if-exception (duration->ns d)))
                         (set (tempo-traces #:url url #:service "a" #:slice d
                                            #:start T0 #:end (+ T0 (* 3 (or ns S))))))
                    (and (= 3 (assq-ref (trace-set-stats set) 'slices)) ns))))
    ("jaeger-traces #:timeout" jaeger-traces
     ,(lambda (d) (jaeger-traces #:url url #:service "a" #:api 'v1 #:timeout d
                                 #:start T0 #:end (+ T0 S))))))

(for-each
 (lambda (entry)
   (for-each
    (lambda (good)
      (test-equal (format #f "~a reads ~s as ~a ns" (first entry) (car good) (cdr good))
        (cdr good) ((third entry) (car good))))
    ;; Each of 90s, 1h30m and 500ms where it fits: 500 ms windows over two
    ;; hours would be many; 1h30m slices a long fetch.  The timeout cannot
    ;; be seen from outside, so only its refusals are tested below.
    (cond ((member (first entry) '("time-series" "correlate-with-traces #:window"
                                   "deployment-windows"))
           `(("90s" . ,(* 90 S)) ("1h30m" . ,(* 5400 S))))
          ((string=? (first entry) "jaeger-traces #:timeout") '())
          ((string-contains (first entry) "-traces #:")
           `(("90s" . ,(* 90 S)) ("500ms" . ,(quotient S 2))))
          (else `(("90s" . ,(* 90 S)) ("1h30m" . ,(* 5400 S)) ("500ms" . ,(quotient S 2)))))))
 entry-points)

;; Bad durations: from every entry point the same invalid-input error as
;; duration->ns gives, naming the procedure the user called.
(for-each
 (lambda (entry)
   (for-each
    (lambda (bad)
      (let ((e (error-of (lambda () ((third entry) bad))))
            (reference (error-of (lambda () (duration->ns bad (second entry))))))
        (test-assert (format #f "~a refuses ~s as duration->ns does: ~a" (first entry) bad
                             (and e (deploy-ledger-error-message e)))
          (and e reference
               (eq? 'invalid-input (deploy-ledger-error-code e))
               (eq? (second entry) (deploy-ledger-error-origin e))
               (equal? (deploy-ledger-error-message reference) (deploy-ledger-error-message e))))))
    '("soon" "90" "1h30" "" -5 1.5 ninety)))
 entry-points)
(test-equal "the message names the bad text"
  "invalid duration \"1h30\": expected a unit (ns, us, ms, s, m, h, d, w) at character 5"
  (deploy-ledger-error-message (error-of (lambda () (duration->ns "1h30")))))

;; The command line reads --since through the same procedure.
(define db (string-append (or (getenv "TMPDIR") "/tmp") "/data-model-" (number->string (getpid))
                          ".db"))
(define (cli . args)
  "Run the command line with ARGS; return (status . stderr)."
  (let* ((status #f)
         (err (with-error-to-string
               (lambda ()
                 (with-output-to-string
                   (lambda () (set! status (run-cli (append args (list "--db" db))))))))))
    (cons status err)))
(test-equal "a ledger made by deploy-ledger start" 0
  (car (cli "start" "--service" "a" "--version" "1")))
(test-equal "deploy-ledger list --since 90s: fine" 0 (car (cli "list" "--since" "90s")))
(test-equal "deploy-ledger list --since 1h30: a usage error with the same message"
  (cons 2 "deploy-ledger: invalid duration \"1h30\": expected a unit (ns, us, ms, s, m, h, d, w) at character 5\n")
  (cli "list" "--since" "1h30"))
(for-each (lambda (suffix) (false-if-exception (delete-file (string-append db suffix))))
          '("" "-wal" "-shm"))

;;; ---- the judge's defaults: dl_judge_config_init and _add ----

(define %judge-config (@ (deploy-ledger core extension) %judge-config))
(define c-defaults (%judge-config '()))
(define scheme-defaults (judge-config->alist (default-judge-config)))
(for-each
 (lambda (key)
   (test-equal (format #f "default ~a: Scheme's is C's" key)
     (assq-ref c-defaults key) (assq-ref scheme-defaults key)))
 '(pass-threshold marginal-threshold conf-level weights))
(test-equal "five default metrics" 5 (length (assq-ref scheme-defaults 'metrics)))
(for-each
 (lambda (c-metric scheme-metric)
   (for-each
    (lambda (key)
      (test-equal (format #f "default metric ~a, ~a: Scheme's is C's" (assq-ref c-metric 'name) key)
        (assq-ref c-metric key) (assq-ref scheme-metric key)))
    '(figure name group direction tolerance allowed-increase allowed-decrease critical
             must-have-data)))
 (assq-ref c-defaults 'metrics) (assq-ref scheme-defaults 'metrics))
;; And what they are, so that a change in C shows here.
(test-equal "thresholds 95 and 75, level 0.95" '(95 75 0.95)
  (map (lambda (k) (assq-ref scheme-defaults k)) '(pass-threshold marginal-threshold conf-level)))
(test-equal "critical p99 and error-rate"
  '(("latency-p50" "latency" #f) ("latency-p90" "latency" #f) ("latency-p95" "latency" #f)
    ("latency-p99" "latency" #t) ("error-rate" "errors" #t))
  (map (lambda (m) (list (judge-metric-name m) (judge-metric-group m) (judge-metric-critical? m)))
       (judge-config-metrics (default-judge-config))))
(test-equal "a metric's defaults: increase, 0.25, 1.1, 0.9" '(increase 0.25 1.1 0.9 #f)
  (let ((m (make-judge-metric 'p90)))
    (list (judge-metric-direction m) (judge-metric-tolerance m)
          (judge-metric-allowed-increase m) (judge-metric-allowed-decrease m)
          (judge-metric-must-have-data? m))))
(for-each
 (lambda (figure)
   (test-equal (format #f "make-judge-metric '~a: C's defaults for it" figure)
     (car (assq-ref (%judge-config `((metrics ((figure . ,figure))))) 'metrics))
     (car (assq-ref (judge-config->alist
                     (make-judge-config #:metrics (list (make-judge-metric figure))))
                    'metrics))))
 '(p50 p90 p95 p99 mean max error-rate throughput))
(define custom (make-judge-config #:metrics (list (make-judge-metric 'p99 #:critical? #t)
                                                  (make-judge-metric 'throughput))
                                  #:pass-threshold 90 #:weights '(("latency" . 70))))
(test-equal "a configuration reads back from C unchanged" (judge-config->alist custom)
  (%judge-config (judge-config->alist custom)))
(define figure-error (error-of (lambda () (make-judge-metric 'p42))))
(test-equal "an unknown figure: C's message, listing the figures"
  "unknown metric \"p42\" (expected p50, p90, p95, p99, mean, max, error-rate or throughput)"
  (and figure-error (deploy-ledger-error-message figure-error)))
(test-eq "naming make-judge-metric" 'make-judge-metric
  (and figure-error (deploy-ledger-error-origin figure-error)))

;;; ---- a trace context from its parts: dl_trace_context_from_parts ----

(define tid "4bf92f3577b34da6a3ce929d0e0e4736")
(define sid "00f067aa0ba902b7")
(test-equal "parts to traceparent" (string-append "00-" tid "-" sid "-01")
  (trace-context->traceparent (make-trace-context #:trace-id tid #:span-id sid #:flags 1)))
(test-equal "flags 255 as ff" (string-append "00-" tid "-" sid "-ff")
  (trace-context->traceparent (make-trace-context #:trace-id tid #:span-id sid #:flags 255)))
(test-equal "a tracestate normalised" "rojo=1,congo=2"
  (trace-context-tracestate (make-trace-context #:trace-id tid #:span-id sid
                                                #:tracestate "rojo=1 , congo=2")))
(for-each
 (lambda (case)
   (let ((e (error-of (lambda () (apply make-trace-context (car case))))))
     (test-equal (format #f "make-trace-context refuses ~s" (car case))
       (cons 'invalid-input (cdr case))
       (and e (cons (deploy-ledger-error-code e) (deploy-ledger-error-message e))))))
 `(((#:trace-id ,(string-upcase tid) #:span-id ,sid)
    . ,(string-append "invalid trace context (trace-id \"" (string-upcase tid) "\", span-id \""
                      sid "\"): trace-id is not 32 lower-case hex digits"))
   ((#:trace-id ,tid #:span-id "00f067aa")
    . ,(string-append "invalid trace context (trace-id \"" tid
                      "\", span-id \"00f067aa\"): span-id is not 16 lower-case hex digits"))
   ((#:trace-id ,tid #:span-id "0000000000000000")
    . ,(string-append "invalid trace context (trace-id \"" tid
                      "\", span-id \"0000000000000000\"): span-id is all zeros"))
   ((#:trace-id ,tid #:span-id ,sid #:flags 256)
    . "invalid trace context: trace flags 256 are not between 0 and 255")))
;; A context that skipped the checks (list->trace-context takes what C
;; returns as it is) is caught where it crosses into C: formatting it, or
;; a deployment carrying it.
(define unchecked (list->trace-context (list "XYZ" sid 1 "")))
(test-assert "formatting an unchecked context checks it"
  (let ((e (error-of (lambda () (trace-context->traceparent unchecked)))))
    (and e (string-contains (deploy-ledger-error-message e) "trace-id is not 32 lower-case hex"))))
(test-assert "so does a deployment carrying it into C"
  (let ((e (error-of (lambda ()
                       (correlate-with-traces
                        (make-deployment-event #:service-name "a" #:version "v2"
                                               #:started (+ T0 (* 3600 S))
                                               #:trace-context unchecked)
                        traces #:judge #f)))))
    (and e (string-contains (deploy-ledger-error-message e)
                            "invalid trace context (trace-id \"XYZ\""))))

(test-end "data-model")
