;;; (deploy-ledger export) without a collector: settings, payloads, and a
;;; collector that is down.  (Collectors that answer are in
;;; tests/c/test-exporter.c and tests/shell/export.sh.)
(use-modules (tap)
             (srfi srfi-1)
             (srfi srfi-64)
             (rnrs bytevectors)
             (ice-9 control)
             (deploy-ledger core errors)
             (deploy-ledger core types)
             (deploy-ledger integrations tracing)
             (deploy-ledger ledger)
             (deploy-ledger export))

(define dir (mkdtemp (string-copy "/tmp/dl-scheme-export-XXXXXX")))
;; A port nothing listens on: bind a socket, note its port, close it.
(define free-port
  (let ((s (socket PF_INET SOCK_STREAM 0)))
    (bind s AF_INET INADDR_LOOPBACK 0)
    (let ((port (sockaddr:port (getsockname s))))
      (close s)
      port)))
(define endpoint (format #f "http://127.0.0.1:~a/v1/traces" free-port))

(test-begin "export")

(define exporter (make-otlp-exporter #:endpoint endpoint
                                     #:headers '(("x-api-key" . "very-secret"))
                                     #:timeout 200 #:deadline 300 #:backoff 50))
(define text (otlp-exporter-description exporter))
(test-assert "description names the endpoint" (string-contains text endpoint))
(test-assert "and never shows a header value"
  (and (string-contains text "x-api-key=<redacted>") (not (string-contains text "very-secret"))))
(test-raises "an unknown protocol is refused"
  (lambda (e) (string-contains (deploy-ledger-error-message e) "grpc"))
  (make-otlp-exporter #:protocol "grpc/json"))


;; One configuration path: a keyword and its variable parse alike.
(define (error-message thunk)
  "The message of the deploy-ledger error THUNK raises, or #f."
  (call/ec (lambda (return)
             (with-exception-handler
                 (lambda (e) (return (and (deploy-ledger-error? e) (deploy-ledger-error-message e))))
               (lambda () (thunk) #f)))))
(define keyword-error (error-message (lambda () (make-otlp-exporter #:compression "gzpi"))))
(test-assert "#:compression \"gzpi\" names the value and the valid ones"
  (and keyword-error (string-contains keyword-error "\"gzpi\"")
       (string-contains keyword-error "gzip")))
(setenv "OTEL_EXPORTER_OTLP_COMPRESSION" "gzpi")
(define variable-error (error-message (lambda () (make-otlp-exporter))))
(unsetenv "OTEL_EXPORTER_OTLP_COMPRESSION")
(test-equal "OTEL_EXPORTER_OTLP_COMPRESSION=gzpi gives the same error, the variable named"
  (string-append "OTEL_EXPORTER_OTLP_COMPRESSION: " keyword-error)
  variable-error)
(test-raises "a file:// endpoint is refused"
  (lambda (e) (string-contains (deploy-ledger-error-message e) "file:///etc/passwd"))
  (make-otlp-exporter #:endpoint "file:///etc/passwd"))
(test-raises "a timeout that is not whole milliseconds is refused"
  (lambda (e) (string-contains (deploy-ledger-error-message e) "timeout \"2.5\""))
  (make-otlp-exporter #:timeout 2.5))
(test-raises "an unknown setting is named"
  (lambda (e) (string-contains (deploy-ledger-error-message e) "\"colour\""))
  ((@@ (deploy-ledger export) %exporter-new) '((colour . "blue"))))
(test-assert "headers as OTEL text too, values redacted"
  (let ((t (otlp-exporter-description
            (make-otlp-exporter #:endpoint endpoint #:headers "x-token=s%3Dcret"))))
    (and (string-contains t "x-token=<redacted>") (not (string-contains t "cret")))))
(test-assert "credentials in the endpoint are never described"
  (let ((t (otlp-exporter-description
            (make-otlp-exporter #:endpoint (string-append "http://bob:hunter2@127.0.0.1:"
                                                          (number->string free-port)
                                                          "/v1/traces")))))
    (and (string-contains t "endpoint=http://127.0.0.1:") (not (string-contains t "hunter2"))
         (not (string-contains t "bob")))))

(define d (make-deployment-event #:service-name "checkout" #:version "v5" #:status 'in-progress))

;; Resource attributes from the environment and from the keyword both
;; reach the exported resource; the deployment's service.name stays.
(setenv "OTEL_RESOURCE_ATTRIBUTES" "team=payments,service.name=not-this")
(define with-resource
  (make-otlp-exporter #:endpoint endpoint #:protocol "http/json"
                      #:resource-attributes '(("tier" . "gold") ("region.group" . "eu,west"))))
(unsetenv "OTEL_RESOURCE_ATTRIBUTES")
(define exported-json
  (utf8->string (first (deployment-span-payload with-resource d #:part 'start))))
(test-assert "team from OTEL_RESOURCE_ATTRIBUTES is exported"
  (string-contains exported-json "{\"key\":\"team\",\"value\":{\"stringValue\":\"payments\"}}"))
(test-assert "tier and region.group from #:resource-attributes are exported"
  (and (string-contains exported-json "{\"key\":\"tier\",\"value\":{\"stringValue\":\"gold\"}}")
       (string-contains exported-json "\"stringValue\":\"eu,west\"")))
(test-assert "service.name stays the deployment's"
  (and (string-contains exported-json "\"stringValue\":\"checkout\"")
       (not (string-contains exported-json "not-this"))))
(test-assert "the description lists them"
  (string-contains (otlp-exporter-description with-resource) "resource tier=gold"))

(define payload (deployment-span-payload exporter d #:part 'start))
(test-assert "a start payload is a bytevector" (bytevector? (first payload)))
(test-equal "protobuf by default" "application/x-protobuf" (second payload))
(test-equal "one span" 1 (third payload))
(test-equal "JSON when asked" "application/json"
  (second (deployment-span-payload (make-otlp-exporter #:endpoint endpoint #:protocol "http/json")
                                   d #:part 'end)))

(define other (make-trace-context))
(define span (create-deployment-span d #:parent other #:links (list (make-trace-context))))
(test-equal "a parent from another trace becomes a link" 2 (length (assq-ref span 'links)))
(define same (trace-context-child (deployment-event-trace-context d)))
(test-equal "a parent in the same trace becomes the parent"
  (trace-context-span-id same)
  (assq-ref (create-deployment-span d #:parent same) 'parent-span-id))

(define result (export-spans exporter (list span)))
(test-eq "collector down: not ok" #f (assq-ref result 'ok))
(test-eq "and not permanent: worth retrying" #f (assq-ref result 'permanent))
(test-assert "the message names the endpoint" (string-contains (assq-ref result 'message) "127.0.0.1"))

(call-with-ledger
 (lambda (ledger)
   (record-deployment! ledger d #:spool (list payload))
   (test-equal "the payload is spooled with the deployment" 1 (length (spool-entries ledger)))
   (let ((counts (flush-spool exporter ledger #:once? #t)))
     (test-equal "flush with the collector down keeps it" 1 (assq-ref counts 'retry-later))
     (test-equal "nothing sent" 0 (assq-ref counts 'sent))
     (test-assert "and says why" (string-contains (assq-ref counts 'last-failure) "127.0.0.1")))
   (test-equal "still spooled, one attempt (once?: one request)" 1
     (assq-ref (car (spool-entries ledger)) 'attempts))
   (let ((counts (export-deployment exporter ledger d)))
     (test-equal "export-deployment spools the end span too" 2 (length (spool-entries ledger)))
     (test-equal "the collector still down: the first item tried, not sent" 1
       (assq-ref counts 'retry-later))
     (test-equal "and the second not tried: it would only fail as long" 1
       (assq-ref counts 'untried))))
 (string-append dir "/ledger.db"))

(test-end "export")
(system* "rm" "-rf" dir)
