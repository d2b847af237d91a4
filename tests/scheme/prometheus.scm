;;; (deploy-ledger prometheus): sources, exposition files, the mesh's
;;; figures per window and version, and the correlation with both sources.
(use-modules (tap)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 exceptions)
             (deploy-ledger core errors)
             (deploy-ledger core types)
             (deploy-ledger traces)
             (deploy-ledger correlation)
             (deploy-ledger prometheus))

(define top (or (getenv "abs_top_srcdir") ".."))
(define build (or (getenv "abs_top_builddir") "."))
(define tmp (or (getenv "TMPDIR") "/tmp"))

(test-begin "prometheus")

;;; An exposition file.
(define file (string-append tmp "/dl-prometheus-" (number->string (getpid)) ".prom"))
(call-with-output-file file
  (lambda (port)
    (display "# TYPE http_requests_total counter
http_requests_total{code=\"200\",path=\"/a\\\"b\"} 7 1705312800000
http_requests_total{code=\"200\",path=\"/a\\\"b\"} 9 1705312815000
" port)))
(define series (read-prometheus-metrics file))
(test-equal "one series" 1 (length series))
(test-equal "its labels, unescaped" '(("code" . "200") ("path" . "/a\"b"))
  (assq-ref (car series) 'labels))
(test-equal "its samples (ns)" '((1705312800000000000 . 7.0) (1705312815000000000 . 9.0))
  (assq-ref (car series) 'samples))
(test-equal "its type" 'counter (assq-ref (car series) 'type))

(call-with-output-file file (lambda (port) (display "ok 1\nbad{x=1} 2\n" port)))
(test-assert "a malformed line: the file, line and column"
  (guard (e ((deploy-ledger-error? e)
             (string-contains (deploy-ledger-error-message e) ":2:7: expected '\"'")))
    (read-prometheus-metrics file)
    #f))

;;; Sources.
(test-assert "a server source"
  (prometheus-source? (prometheus-source #:url "http://prometheus:9090" #:preset 'linkerd
                                          #:promql '("p=sum(up{job=\"$service\"})"))))
(test-equal "--promql text becomes (name . query)" '(("p" . "sum(x)"))
  (assq-ref (prometheus-source #:url "http://p:9090" #:promql '("p=sum(x)")) 'promql))
(define (refused thunk)
  (guard (e ((deploy-ledger-error? e) (deploy-ledger-error-message e))) (thunk) #f))
(test-assert "an unknown preset is refused, naming the known ones"
  (string-contains (refused (lambda () (prometheus-source #:url "http://p:9090" #:preset 'envoy)))
                   "istio, linkerd, linkerd-outbound, spanmetrics"))
(test-assert "neither a URL nor a file"
  (refused (lambda () (prometheus-source #:preset 'istio))))
(test-assert "PromQL needs a server"
  (refused (lambda () (prometheus-source #:file file #:promql '("a=up")))))

;;; The mesh's figures from a file the peer writes (Istio, a regressed canary).
(define om (string-append tmp "/dl-prometheus-" (number->string (getpid)) ".om"))
(test-equal "the peer writes the metrics" 0
  (system* (string-append build "/tests/c/prometheus-peer") "gen" om "istio" "checkout"
           "1705312800" "1"))
(define d (make-deployment-event #:service-name "checkout" #:version "v2"
                                 #:previous-version "v1" #:deployment-type 'canary
                                 #:started "2024-01-15T10:00:00Z"
                                 #:completed "2024-01-15T10:30:00Z"))
(define source (prometheus-source #:file om))
(define rows (prometheus-metrics d source #:window "30m"))
(define (row window version)
  (find (lambda (r) (and (equal? (assq-ref r 'window) window)
                         (equal? (assq-ref (assq-ref r 'group) 'version) version)))
        rows))
(test-equal "rows: baseline v1 and all, during and after v1, v2 and all" 8 (length rows))
(test-assert "every row says it comes from Prometheus"
  (every (lambda (r) (equal? "prometheus" (assq-ref r 'source))) rows))
(test-assert "the canary is slower than the old version during the deployment"
  (> (assq-ref (row "during" "v2") 'p99) (* 1.5 (assq-ref (row "during" "v1") 'p99))))
(test-assert "its error rate is higher"
  (> (assq-ref (row "during" "v2") 'error-rate) (* 3 (assq-ref (row "during" "v1") 'error-rate))))
(test-approximate "throughput is requests per second of the window"
  (/ (assq-ref (row "baseline" "v1") 'increase) 1800.0)
  (assq-ref (row "baseline" "v1") 'throughput) 1e-9)

(define r (correlate-with-prometheus d source #:window "30m"))
(test-equal "judged from the mesh alone: fail" 'fail (correlation-result-verdict r))
(test-equal "exit status 11" 11 (verdict->exit-status (correlation-result-verdict r)))
(define both (correlate-with-prometheus
              d source #:window "30m"
              #:traces (load-traces (string-append top "/tests/data/mesh/istio-clean.jaeger.json"))))
(test-equal "with clean traces the mesh still fails it" 'fail (correlation-result-verdict both))
(test-assert "rows of both sources in one list"
  (let ((sources (map (lambda (r) (assq-ref r 'source))
                      (vector->list (correlation-result-metrics both)))))
    (and (member "traces" sources) (member "prometheus" sources))))
(test-assert "the disagreement on the verdict is recorded"
  (find (lambda (x) (equal? (assq-ref x 'figure) "verdict"))
        (vector->list (assq-ref (correlation-result->alist both) 'disagreements))))

(delete-file file)
(delete-file om)
(test-end "prometheus")
