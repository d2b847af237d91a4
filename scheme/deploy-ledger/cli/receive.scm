;;; `deploy-ledger receive': the OTLP/HTTP receiver alone, with a status
;;; line per interval.  Also the options `watch' shares with it.
(define-module (deploy-ledger cli receive)
  #:use-module (ice-9 format)
  #:use-module (ice-9 rdelim)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger receiver)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:export (command-receive
            %receiver-options
            %receiver-options-help
            receiver-from-options
            listening-on
            read-token-file
            duration-option
            call-until-signal))

(define %receiver-options-help "\
  --listen ADDR:PORT  where to listen (default 127.0.0.1:4318; 0.0.0.0:4318
                    for every interface, port 0 for any free one)
  --window D        keep the spans that started in the last D (default 15m)
  --max-memory SIZE hold at most SIZE of spans (default 256M); the oldest
                    go first, counted as dropped
  --max-request SIZE  refuse a body over SIZE as sent with 413 (default 16M)
  --max-decompressed SIZE  and over SIZE once gunzipped (default 64M)
  --max-queue SIZE  answer 503 with Retry-After to a body that would take
                    the bytes received at once over SIZE (default 128M)
  --max-connections N  at most N connections (default 128)
  --request-timeout S  a request must arrive within S seconds (default 30);
                    a connection silent for 10 s is closed
  --token-file FILE clients must send Authorization: Bearer and the first
                    line of FILE
")

(define receive-help (string-append "\
Usage: deploy-ledger receive [OPTIONS]
Receive OpenTelemetry spans over OTLP/HTTP (POST /v1/traces, protobuf or
JSON, gzip or not) into a rolling window in memory, and print one status
line per interval until interrupted (SIGINT, SIGTERM) or --duration ends.
Point an exporter at it with OTEL_EXPORTER_OTLP_ENDPOINT=http://ADDR:PORT.

" %receiver-options-help "\
  --interval D      print a status line every D (default 10s)
  --duration D      stop after D (default: run until interrupted)

Exit status: 0 once stopped; 1 when the address cannot be bound or the
token file cannot be read; 2 for a usage error.
"))

(define %receiver-options
  '((listen value) (window value) (max-memory value) (max-request value)
    (max-decompressed value) (max-queue value) (max-connections value)
    (request-timeout value) (token-file value)))

(define (read-token-file cmd file)
  "The bearer token in the first line of FILE (white space trimmed); an
error naming FILE when it cannot be read or the line is empty.  The token
itself is never printed."
  (let ((line (catch 'system-error
                (lambda () (call-with-input-file file read-line))
                (lambda (key . args)
                  (raise-deploy-ledger-error
                   'token-file 'read-token-file
                   (format #f "~a: cannot read the token file ~a: ~a" cmd file
                           (strerror (system-error-errno (cons key args)))))))))
    (when (or (eof-object? line) (string-null? (string-trim-both line)))
      (raise-deploy-ledger-error
       'token-file 'read-token-file
       (format #f "~a: the token file ~a is empty: write the token on its first line" cmd file)))
    (string-trim-both line)))

(define (duration-option cmd o name default)
  "Option NAME of O as nanoseconds (DEFAULT, a duration text, when
absent); a usage error naming CMD when it is not a positive duration."
  (let* ((text (or (option o name) default))
         (ns (catch #t
               (lambda () (duration->ns text))
               (lambda _ #f))))
    (unless (and ns (> ns 0))
      (usage-error "~a: --~a must be a duration such as 30s, 5m or 1h, got \"~a\"" cmd name text))
    ns))

(define (receiver-from-options cmd o)
  "A receiver started as the options O of @code{%receiver-options} say."
  (define (size name)
    (let ((v (option o name)))
      (and v (catch 'deploy-ledger-error
               (lambda () (size->bytes v))
               (lambda _ (usage-error "~a: --~a must be a size such as 512K, 256M or 1G, got \"~a\""
                                      cmd name v))))))
  (define (count name)
    (let ((v (option o name)))
      (and v (positive-integer cmd name v))))
  (define (start . args)
    ;; An address that cannot be bound is exit status 1, not a storage
    ;; error; a malformed one stays a usage error.
    (with-exception-handler
        (lambda (e)
          (if (and (deploy-ledger-error? e) (eq? (deploy-ledger-error-code e) 'io))
              (raise-deploy-ledger-error 'listen 'receive
                                         (format #f "~a: ~a" cmd (deploy-ledger-error-message e)))
              (raise-exception e)))
      (lambda () (apply start-receiver args))
      #:unwind? #t))
  (start #:listen (or (option o 'listen) "127.0.0.1:4318")
                  #:window (duration-option cmd o 'window "15m")
                  #:max-memory (size 'max-memory) #:max-request (size 'max-request)
                  #:max-decompressed (size 'max-decompressed) #:max-queue (size 'max-queue)
                  #:max-connections (count 'max-connections)
                  #:request-timeout (count 'request-timeout)
                  #:token (and (option o 'token-file) (read-token-file cmd (option o 'token-file)))))

(define (listening-on o r)
  "The address of --listen with the port R really listens on."
  (let* ((listen (or (option o 'listen) "127.0.0.1:4318"))
         (colon (string-rindex listen #\:)))
    (format #f "~a:~a" (if colon (substring listen 0 colon) listen) (receiver-port r))))

(define (call-until-signal proc)
  "Call PROC with a thunk that tells whether SIGINT or SIGTERM arrived
meanwhile; the previous handlers come back afterwards."
  (let* ((stop? #f)
         (handler (lambda (sig) (set! stop? #t)))
         (old-int (sigaction SIGINT handler))
         (old-term (sigaction SIGTERM handler)))
    (dynamic-wind
      (lambda () #t)
      (lambda () (proc (lambda () stop?)))
      (lambda ()
        (sigaction SIGINT (car old-int) (cdr old-int))
        (sigaction SIGTERM (car old-term) (cdr old-term))))))

(define (command-receive args)
  (define cmd "deploy-ledger receive")
  (with-command
   "receive" (append '((interval value) (duration value)) %receiver-options)
   receive-help args
   (lambda (o)
     (let* ((interval (duration-option cmd o 'interval "10s"))
            (duration (and (option o 'duration) (duration-option cmd o 'duration #f)))
            (r (receiver-from-options cmd o))
            (started (current-time-ns)))
       (format #t "deploy-ledger receive: listening on ~a (POST /v1/traces)~%"
               (listening-on o r))
       (force-output)
       (call-until-signal
        (lambda (stopped?)
          (let loop ((next (+ started interval)))
            (let ((now (current-time-ns)))
              (cond ((or (stopped?) (and duration (>= (- now started) duration))) #t)
                    ((>= now next)
                     (format #t "~a ~a~%" (ns->rfc3339 now)
                             (receiver-status-line (receiver-stats r)))
                     (force-output)
                     (loop (+ next interval)))
                    (else (usleep 100000) (loop next)))))))
       (format #t "~a ~a~%" (ns->rfc3339 (current-time-ns))
               (receiver-status-line (receiver-stats r)))
       (stop-receiver r)
       %exit-ok))))
