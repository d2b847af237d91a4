;;; (deploy-ledger export) without a collector: settings, payloads, and a
;;; collector that is down.  (Collectors that answer are in
;;; tests/c/test-exporter.c and tests/shell/export.sh.)
(use-modules (tap)
             (srfi srfi-1)
             (srfi srfi-64)
             (rnrs bytevectors)
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
  (make-otlp-exporter #:protocol "grpc"))

(define d (make-deployment-event #:service-name "checkout" #:version "v5" #:status 'in-progress))
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
   (let ((counts (flush-spool exporter ledger)))
     (test-equal "flush with the collector down keeps it" 1 (assq-ref counts 'retry-later))
     (test-equal "nothing sent" 0 (assq-ref counts 'sent)))
   (test-equal "still spooled, one attempt" 1
     (assq-ref (car (spool-entries ledger)) 'attempts))
   (let ((counts (export-deployment exporter ledger d)))
     (test-equal "export-deployment spools the end span too" 2 (length (spool-entries ledger)))
     (test-equal "and tries both of its items: neither sent" 2 (assq-ref counts 'retry-later))))
 (string-append dir "/ledger.db"))

(test-end "export")
(system* "rm" "-rf" dir)
