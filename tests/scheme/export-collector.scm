;;; (deploy-ledger export) against a loopback collector: one span model
;;; (export-spans sends the bytes of the export spool) and a collector that
;;; refuses with a body that is not UTF-8.
(use-modules (tap)
             (collector)
             (srfi srfi-1)
             (srfi srfi-64)
             (rnrs bytevectors)
             (ice-9 exceptions)
             (deploy-ledger core errors)
             (deploy-ledger core types)
             (deploy-ledger integrations tracing)
             (deploy-ledger ledger)
             (deploy-ledger export))

(define dir (mkdtemp (string-copy "/tmp/dl-scheme-collector-XXXXXX")))
(unsetenv "OTEL_RESOURCE_ATTRIBUTES")

(define (endpoint c)
  (format #f "http://127.0.0.1:~a/v1/traces" (collector-port c)))

(define (contains? bv text)
  "Whether the bytes of BV hold TEXT (as UTF-8)."
  (let ((s (utf8->string bv)))
    (and (string-contains s text) #t)))

(test-begin "export-collector")

;;; One span model: a rolled-back deployment with two regions.
(define ok (start-collector))
(define exporter (make-otlp-exporter #:endpoint (endpoint ok) #:timeout 2000 #:deadline 5000))
(define json-exporter (make-otlp-exporter #:endpoint (endpoint ok) #:protocol "http/json"
                                          #:timeout 2000 #:deadline 5000))

(call-with-ledger
 (lambda (ledger)
   (define d (record-deployment!
              ledger
              (make-deployment-event #:service-name "checkout" #:version "v7"
                                     #:deployment-type 'canary #:status 'in-progress
                                     #:regions '("eu-west-1" "us-east-1,b")
                                     #:started "2024-01-15T10:30:00Z" #:actor "ci"
                                     #:commit "9fceb02")))
   (define done (update-deployment-status! ledger d 'rolled-back #:at "2024-01-15T10:42:00Z"
                                           #:actor "bob" #:reason "p99 doubled"))
   (define history (deployment-history ledger done))
   (define spool-bytes (first (deployment-span-payload exporter done #:history history)))

   (test-equal "export-deployment: one request of the spool's bytes" 1
     (assq-ref (export-deployment exporter ledger done) 'sent))
   (let ((result (export-spans exporter (list (create-deployment-span done #:history history)))))
     (test-eq "export-spans: accepted" #t (assq-ref result 'ok))
     (test-equal "the collector got two requests" 2 (length (collector-bodies ok))))
   (let ((bodies (collector-bodies ok)))
     (test-assert "export-spans sends the bytes export-deployment sent"
       (bytevector=? (first bodies) (second bodies)))
     (test-assert "and those the spool builds" (bytevector=? spool-bytes (second bodies))))

   (let ((span (create-deployment-span done #:history history)))
     (test-equal "the span alist says rolled-back, as the wire does" "rolled-back"
       (assq-ref (assq-ref span 'attributes) 'deployment.status))
     (test-equal "regions as one list" '("eu-west-1" "us-east-1,b")
       (assq-ref (assq-ref span 'attributes) 'deploy_ledger.regions))
     (test-equal "an event per transition, the last rolled-back"
       '("deployment.created" "rolled-back")
       (list (assq-ref (first (assq-ref span 'events)) 'name)
             (assq-ref (assq-ref (last (assq-ref span 'events)) 'attributes) 'deployment.status)))
     (test-equal "span status: error with the reason" '(error . "p99 doubled")
       (cons (assq-ref span 'status) (assq-ref span 'status-message))))

   (export-spans json-exporter (list (create-deployment-span done #:history history)))
   (let ((json (last (collector-bodies ok))))
     (test-assert "on the wire: deployment.status rolled-back"
       (contains? json "{\"key\":\"deployment.status\",\"value\":{\"stringValue\":\"rolled-back\"}}"))
     (test-assert "no second status attribute"
       (not (contains? json "deploy_ledger.status")))
     (test-assert "regions as one array attribute, the comma inside a name kept"
       (contains? json (string-append
                        "{\"key\":\"deploy_ledger.regions\",\"value\":{\"arrayValue\":{\"values\":"
                        "[{\"stringValue\":\"eu-west-1\"},{\"stringValue\":\"us-east-1,b\"}]}}}"))))

   (test-raises "a span alist not made by create-deployment-span is refused"
     (lambda (e) (and (deploy-ledger-error? e)
                      (eq? 'invalid-input (deploy-ledger-error-code e))
                      (string-contains (deploy-ledger-error-message e) "create-deployment-span")))
     (export-spans exporter '(((trace-id . "4bf92f3577b34da6a3ce929d0e0e4736")))))
   (test-raises "a history entry of an unknown kind is named"
     (lambda (e) (and (deploy-ledger-error? e)
                      (string-contains (deploy-ledger-error-message e) "\"moved\"")))
     (create-deployment-span done #:history '(((at . 1) (kind . moved))))))
 (string-append dir "/ledger.db"))

;;; A collector that refuses for good, answering bytes that are not UTF-8:
;;; two stray bytes, a word, and a lead byte followed by "(".  The HTTP
;;; client keeps a printable excerpt of an answer, each byte of an invalid
;;; sequence shown as "?".
(define binary-body (u8-list->bytevector '(#xff #xfe 32 110 111 #xc3 #x28)))
(define printable "?? no?(")
(define refuser (start-collector #:status 400 #:body binary-body))
(define refused-exporter (make-otlp-exporter #:endpoint (endpoint refuser)
                                             #:timeout 2000 #:deadline 5000))
(define d2 (make-deployment-event #:service-name "api" #:version "9" #:status 'failed
                                  #:started "2024-01-15T10:30:00Z"
                                  #:completed "2024-01-15T10:31:00Z"))

;; Any exception is caught, so that a foreign one (Guile's decoding-error)
;; fails the assertion on the condition type rather than the whole file.
(define raised
  (guard (e (#t e))
    (export-spans refused-exporter (list (create-deployment-span d2)))
    #f))
(test-assert "a 400 raises the deploy-ledger condition" (deploy-ledger-error? raised))
(test-eq "with code http" 'http (and raised (deploy-ledger-error-code raised)))
(test-eq "from export-spans" 'export-spans (and raised (deploy-ledger-error-origin raised)))
(test-assert "the message names the status and shows the body, printable"
  (and raised
       (string-contains (deploy-ledger-error-message raised) "HTTP 400")
       (string-contains (deploy-ledger-error-message raised) printable)))
(test-equal "the collector saw the request once: a refusal is not retried" 1
  (length (collector-bodies refuser)))

(call-with-ledger
 (lambda (ledger)
   (record-deployment! ledger d2)
   (let ((counts (export-deployment refused-exporter ledger d2)))
     (test-equal "through the spool: a dead letter" 1 (assq-ref counts 'dead-lettered)))
   (let ((dead (spool-entries ledger #:dead? #t)))
     (test-equal "listed with its status" 400 (assq-ref (first dead) 'http-status))
     (test-equal "and its body escaped, byte for byte, not a decoding error"
       "\\xff\\xfe no\\xc3(" (assq-ref (first dead) 'response-body))))
 (string-append dir "/refused.db"))

;;; An error text cut by the C library inside a UTF-8 sequence (here a
;;; long file name of two-byte characters) still arrives as the condition.
(define cut
  (guard (e (#t e))
    (call-with-ledger (lambda (l) l)
                      (string-append "/nonexistent/x" (make-string 200 #\é) "/ledger.db"))))
(test-assert "an error text cut inside a character raises the condition, not decoding-error"
  (and (deploy-ledger-error? cut)
       (string-contains (deploy-ledger-error-message cut) "/nonexistent/x")))

(test-end "export-collector")
(system* "rm" "-rf" dir)
