;;; (deploy-ledger traces): loading fixtures, errors, filters, merges,
;;; lists, and fetching from a loopback HTTP server run by this test.
(use-modules (tap)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 exceptions)
             (ice-9 threads)
             (ice-9 textual-ports)
             (web server)
             (web request)
             (web response)
             (web uri)
             (deploy-ledger core errors)
             (deploy-ledger traces))

(define top (or (getenv "abs_top_srcdir") ".."))
(define (data name) (string-append top "/tests/data/" name))

(test-begin "traces")

;;; Loading
(define example (load-traces (data "corpora/opentelemetry-proto/examples/trace.json")))
(test-assert "a trace set" (trace-set? example))
(test-equal "one span" 1 (trace-set-count example))
(define span (car (trace-set->list example)))
(test-equal "trace id (upper case in the file)" "5b8efff798038103d269b633813fc60c"
  (assq-ref span 'trace-id))
(test-equal "span id" "eee19b7ec3c1b174" (assq-ref span 'span-id))
(test-equal "parent id" "eee19b7ec3c1b173" (assq-ref span 'parent-id))
(test-equal "service" "my.service" (assq-ref span 'service))
(test-equal "operation" "I'm a server span" (assq-ref span 'operation))
(test-eq "kind" 'server (assq-ref span 'kind))
(test-equal "start" 1544712660000000000 (assq-ref span 'start))
(test-equal "duration" 1000000000 (assq-ref span 'duration))
(test-eq "no error" #f (assq-ref span 'error?))
(test-equal "time range" '(1544712660000000000 . 1544712661000000000)
  (trace-set-time-range example))
(test-equal "time range as text" '("2018-12-13T14:51:00Z" . "2018-12-13T14:51:01Z")
  (trace-set-time-range example #:rfc3339? #t))
(test-equal "stats of the load" 1 (assq-ref (trace-set-stats example) 'spans))

(define genai (load-traces (data "corpora/jaeger-ui/packages/jaeger-ui/src/components/TracePage/TraceTimelineViewer/genaiTestTrace.json")
                           #:keep '("http.route")))
(test-equal "57 Jaeger spans" 57 (trace-set-count genai))
(test-equal "ten services" 10 (length (trace-set-services genai)))
(test-assert "k8s-api among them" (member "k8s-api" (trace-set-services genai)))

;;; Filtering: views, views of views
(define servers (trace-set-filter genai #:kind 'server))
(define pods (trace-set-filter servers #:service "k8s-api"))
(test-equal "server spans of k8s-api" 3 (trace-set-count pods))
(define failed (filter (lambda (s) (assq-ref s 'error?)) (trace-set->list genai)))
(test-equal "one error span" 1 (length failed))
(test-equal "its error type" "HTTP 500 /api/v1/pods" (assq-ref (car failed) 'error-type))
(test-equal "its kept route" '(("http.route" . "/api/v1/pods")) (assq-ref (car failed) 'attributes))
(test-equal "filter on a kept attribute" 3
  (trace-set-count (trace-set-filter genai #:attribute '("http.route" . "/api/v1/pods"))))
(test-equal "filter on time" 1
  (trace-set-count (trace-set-filter pods #:start 1770000000017000000 #:end 1770000000018000000)))
(test-equal "filter on RFC 3339 time" 1
  (trace-set-count (trace-set-filter pods #:start "2026-02-02T02:40:00.017Z"
                                     #:end "2026-02-02T02:40:00.018Z")))
(test-equal "limit in trace-set->list" 2 (length (trace-set->list genai #:limit 2)))
(test-equal "an unknown service matches nothing" 0
  (trace-set-count (trace-set-filter genai #:service "nope")))
(test-raises "an attribute not kept" deploy-ledger-error?
  (trace-set-filter genai #:attribute '("server.address" . "x")))

;;; Merging
(define both (trace-set-merge example pods genai))
(test-equal "merge counts" (+ 1 3 57) (trace-set-count both))
(test-equal "merged services" (length (trace-set-services genai)) (- (length (trace-set-services both)) 1))
(test-equal "versions of a set without any" '() (trace-set-values example 'version))

;;; Views outlive their base
(define view (trace-set-filter (load-traces (data "corpora/otlp2parquet/testdata/traces.pb"))
                               #:service "kafka"))
(gc) (gc)
(test-equal "a view keeps its base alive" 3 (trace-set-count view))
(test-equal "kafka spans listed" '("kafka") (delete-duplicates (map (lambda (s) (assq-ref s 'service))
                                                                     (trace-set->list view))))

;;; Errors
(define (error-of thunk)
  (guard (e ((deploy-ledger-error? e) e)) (thunk) #f))
(define bad (error-of (lambda () (load-traces (data "corpora/otlp2parquet/testdata/invalid/trace_invalid_kind.json")))))
(test-assert "a bad file raises" bad)
(test-eq "code parse" 'parse (deploy-ledger-error-code bad))
(test-equal "line" 24 (deploy-ledger-error-line bad))
(test-assert "message names the file and path"
  (and (string-contains (deploy-ledger-error-message bad) "trace_invalid_kind.json")
       (string-contains (deploy-ledger-error-message bad) "$.resourceSpans[0].scopeSpans[0].spans[0].kind")))
(test-raises "a missing file" deploy-ledger-error? (load-traces "/nonexistent/traces.json"))
(define lenient (load-traces (data "corpora/otlp2parquet/testdata") #:lenient? #t))
(test-equal "lenient directory load" 42 (trace-set-count lenient))
(test-equal "three bad files skipped" 3 (assq-ref (trace-set-stats lenient) 'skipped))
(test-assert "a warning kept" (string? (assq-ref (trace-set-stats lenient) 'warning)))

;;; Fetching: a loopback server in a thread, with answers in the real formats.
(define (v1-answer)
  (call-with-input-file (data "corpora/jaeger-ui/packages/jaeger-ui/src/utils/fixtures/otlp2jaeger-out.json")
    (lambda (port) (get-string-all port))))
(define tempo-trace
  "{\"batches\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"cart\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"0000000000000000000000000000abcd\",\"spanId\":\"0000000000000001\",\"name\":\"GET /cart\",\"kind\":2,\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000000500000000\"}]}]}]}")
(define requests '())
(define (handler request body)
  (let* ((uri (request-uri request))
         (path (uri-path uri)))
    (set! requests (cons (string-append path "?" (or (uri-query uri) "")) requests))
    (cond ((string=? path "/api/services")
           (values (build-response #:code 200 #:headers '((content-type . (application/json))))
                   "{\"data\":[\"telemetrygen\"],\"total\":1,\"limit\":0,\"offset\":0,\"errors\":null}"))
          ((string=? path "/api/traces")
           (if (string-contains (or (uri-query uri) "") "service=broken")
               (values (build-response #:code 500) "storage down")
               (values (build-response #:code 200 #:headers '((content-type . (application/json))))
                       (v1-answer))))
          ((string=? path "/api/search")
           (values (build-response #:code 200 #:headers '((content-type . (application/json))))
                   "{\"traces\":[{\"traceID\":\"abcd\",\"rootServiceName\":\"cart\"}],\"metrics\":{}}"))
          ((string-prefix? "/api/traces/" path)
           (values (build-response #:code 200 #:headers '((content-type . (application/json))))
                   tempo-trace))
          (else (values (build-response #:code 404) "not found")))))

(define sock (socket PF_INET SOCK_STREAM 0))
(setsockopt sock SOL_SOCKET SO_REUSEADDR 1)
(bind sock AF_INET INADDR_LOOPBACK 0)
(listen sock 16)
(define port (sockaddr:port (getsockname sock)))
(define url (format #f "http://127.0.0.1:~a" port))
(call-with-new-thread (lambda () (run-server handler 'http `(#:socket ,sock))))

(define fetched (jaeger-traces #:url url #:service "telemetrygen" #:api 'v1
                               #:start "2024-01-31T05:00:00Z" #:end "2024-01-31T07:00:00Z"
                               #:limit 50))
(test-equal "jaeger-traces: spans" 2 (trace-set-count fetched))
(test-equal "jaeger-traces: traces reported" 1 (assq-ref (trace-set-stats fetched) 'traces))
(test-equal "jaeger-traces: two one-hour slices" 2 (assq-ref (trace-set-stats fetched) 'slices))
(test-assert "v1 parameters"
  (any (lambda (r) (string-contains r "service=telemetrygen&start=1706677200000000&end=1706680800000000&limit=50"))
       requests))
(test-equal "jaeger-services" '("telemetrygen") (jaeger-services #:url url #:api 'v1))
(define http-error (error-of (lambda () (jaeger-traces #:url url #:service "broken" #:api 'v1 #:retries 0))))
(test-eq "HTTP 500 raises" 'http (and http-error (deploy-ledger-error-code http-error)))
(test-assert "naming the URL" (string-contains (deploy-ledger-error-message http-error) "/api/traces?service=broken"))
(test-raises "a service is required" deploy-ledger-error? (jaeger-traces #:url url))

(define tempo (tempo-traces #:url url #:service "cart"
                            #:start "2023-11-14T22:00:00Z" #:end "2023-11-14T22:30:00Z"))
(test-equal "tempo-traces: one span" 1 (trace-set-count tempo))
(test-equal "tempo-traces: one trace" 1 (assq-ref (trace-set-stats tempo) 'traces))
(test-equal "tempo span" "GET /cart" (assq-ref (car (trace-set->list tempo)) 'operation))
(test-assert "TraceQL sent"
  (any (lambda (r) (string-contains r "q=%7Bresource.service.name%3D%22cart%22%7D")) requests))

(test-end "traces")
