;;; A loopback OTLP/HTTP collector in Guile, for the Scheme and shell
;;; tests: it answers every request with one status and body (any bytes)
;;; and keeps the bodies it received.  It runs in a thread of the test
;;; and ends with it.
;;;
;;; From the shell, run it as a process that writes its port to PORT-FILE
;;; and each request body to DIR/N.bin, and exits after 120 seconds:
;;;   guile -L tests/lib -c '(apply (@ (collector) collector-main) (cdr (command-line)))' \
;;;         PORT-FILE DIR STATUS [BODY-FILE]
(define-module (collector)
  #:use-module (web server)
  #:use-module (web request)
  #:use-module (web response)
  #:use-module (ice-9 binary-ports)
  #:use-module (ice-9 threads)
  #:use-module (rnrs bytevectors)
  #:use-module (srfi srfi-9)
  #:export (start-collector
            collector-port
            collector-bodies
            collector-main))

(define-record-type <collector>
  (make-collector port bodies mutex)
  collector?
  (port collector-port)
  (bodies %collector-bodies set-collector-bodies!)
  (mutex collector-mutex))

(define (collector-bodies c)
  "The request bodies C received, as bytevectors, oldest first."
  (with-mutex (collector-mutex c) (reverse (%collector-bodies c))))

(define* (start-collector #:key (status 200) (body #vu8()) on-request)
  "A collector on 127.0.0.1 (a free port) answering STATUS with BODY, a
bytevector, to every request; ON-REQUEST, when given, is called with each
body once it is kept."
  (let ((sock (socket PF_INET SOCK_STREAM 0)))
    (setsockopt sock SOL_SOCKET SO_REUSEADDR 1)
    (bind sock AF_INET INADDR_LOOPBACK 0)
    (listen sock 16)
    (let ((c (make-collector (sockaddr:port (getsockname sock)) '() (make-mutex))))
      (call-with-new-thread
       (lambda ()
         (run-server
          (lambda (request request-body)
            (let ((received (or request-body #vu8())))
              (with-mutex (collector-mutex c)
                (set-collector-bodies! c (cons received (%collector-bodies c))))
              (when on-request (on-request received)))
            (values (build-response #:code status
                                    #:headers '((content-type . (application/octet-stream))))
                    body))
          'http `(#:socket ,sock))))
      c)))

(define (collector-main port-file dir status . body-file)
  "The collector as a process for shell tests (see the head of this file)."
  (alarm 120) ; a deadline: a test that forgets it cannot leave it running
  (let* ((count 0)
         (c (start-collector
             #:status (string->number status)
             #:body (let ((bytes (if (null? body-file)
                                     #vu8()
                                     (call-with-input-file (car body-file) get-bytevector-all
                                                           #:binary #t))))
                      (if (eof-object? bytes) #vu8() bytes))
             #:on-request
             (lambda (received)
               (call-with-output-file (format #f "~a/~a.bin" dir count)
                 (lambda (out) (put-bytevector out received))
                 #:binary #t)
               (set! count (+ count 1))))))
    ;; Written whole and then renamed, so the test never reads half a number.
    (call-with-output-file (string-append port-file ".tmp")
      (lambda (p) (display (collector-port c) p)))
    (rename-file (string-append port-file ".tmp") port-file)
    (let wait () (sleep 1) (wait))))
