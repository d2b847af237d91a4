;;; A stand-in for Jaeger's v1 query API on 127.0.0.1, for the shell tests:
;;;   guile jaeger-stub.scm BODY-FILE PORT-FILE LOG-FILE
;;; Answers GET /api/traces with the JSON of BODY-FILE, /api/services with
;;; the one service "checkout", anything else with 404 (so clients detect
;;; the v1 API); writes the port it listens on to
;;; PORT-FILE and each request's path and query to LOG-FILE.
(use-modules (web server)
             (web request)
             (web response)
             (web uri)
             (ice-9 textual-ports))

(define-values (body-file port-file log-file)
  (apply values (cdr (command-line))))

(define body (call-with-input-file body-file get-string-all))
(define log (open-file log-file "a"))
(setvbuf log 'line)

(define sock (socket PF_INET SOCK_STREAM 0))
(setsockopt sock SOL_SOCKET SO_REUSEADDR 1)
(bind sock AF_INET INADDR_LOOPBACK 0)
(listen sock 16)
;; Written whole and then renamed, so the test never reads half a number.
(call-with-output-file (string-append port-file ".tmp")
  (lambda (p) (display (sockaddr:port (getsockname sock)) p)))
(rename-file (string-append port-file ".tmp") port-file)

(run-server (lambda (request request-body)
              (let ((uri (request-uri request)))
                (format log "~a?~a~%" (uri-path uri) (or (uri-query uri) ""))
                (cond ((string=? (uri-path uri) "/api/traces")
                       (values '((content-type . (application/json))) body))
                      ((string=? (uri-path uri) "/api/services")
                       (values '((content-type . (application/json)))
                               "{\"data\":[\"checkout\"],\"total\":1}"))
                      (else (values (build-response #:code 404) "not found")))))
            'http `(#:socket ,sock))
