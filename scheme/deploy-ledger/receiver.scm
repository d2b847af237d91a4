;;; The embedded OTLP/HTTP receiver: services send their spans to it
;;; (POST /v1/traces, as to any OpenTelemetry Collector) and it keeps a
;;; rolling window of them in C, from which `watch' takes trace sets.
(define-module (deploy-ledger receiver)
  #:use-module (ice-9 format)
  #:use-module (ice-9 regex)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:export (start-receiver
            stop-receiver
            receiver-port
            receiver-stats
            receiver-snapshot
            receiver-status-line
            size->bytes))

(define* (size->bytes value #:optional (who 'size->bytes))
  "VALUE as a number of bytes: an exact integer, or a string such as
@code{\"4096\"}, @code{\"512K\"}, @code{\"256M\"}, @code{\"1G\"} (powers
of 1024; @code{KiB}, @code{MiB}, @code{GiB} and @code{B} are read too).
Anything else raises an @code{invalid-input} error from WHO."
  (define (bad)
    (raise-deploy-ledger-error
     'invalid-input who
     (format #f "~s is not a size: expected bytes or a number with K, M or G (\"256M\")" value)))
  (cond ((and (exact-integer? value) (>= value 0)) value)
        ((string? value)
         (let ((m (string-match "^([0-9]+)[ ]*([kKmMgG]?)(i?[bB])?$" (string-trim-both value))))
           (unless m (bad))
           (* (string->number (match:substring m 1))
              (case (string-ref (string-append (string-upcase (match:substring m 2)) "B") 0)
                ((#\K) 1024) ((#\M) (* 1024 1024)) ((#\G) (* 1024 1024 1024)) (else 1)))))
        (else (bad))))

(define* (start-receiver #:key (listen "127.0.0.1:4318") (window "15m") max-memory
                         max-request max-decompressed max-queue max-connections threads
                         idle-timeout request-timeout token)
  "Start an OTLP/HTTP receiver and return it.  LISTEN is ADDR:PORT (port 0:
any free one, see @code{receiver-port}); WINDOW the span time it keeps (a
duration such as @code{\"15m\"} or nanoseconds); MAX-MEMORY, MAX-REQUEST,
MAX-DECOMPRESSED and MAX-QUEUE sizes (see @code{size->bytes}) for the
spans held, one body as sent, one body decompressed, and the bodies being
received at once; MAX-CONNECTIONS, THREADS, IDLE-TIMEOUT and
REQUEST-TIMEOUT (seconds) for the connections; TOKEN a bearer token
clients must send.  Unset: the defaults of the manual's ``Live watch''
chapter.  Raises an @code{io} error when LISTEN cannot be bound."
  (define (size v name) (and v (size->bytes v name)))
  (%receiver-start
   `((listen . ,listen)
     (window . ,(and window (duration->ns window 'start-receiver)))
     (max-memory . ,(size max-memory 'start-receiver))
     (max-request . ,(size max-request 'start-receiver))
     (max-decompressed . ,(size max-decompressed 'start-receiver))
     (max-queue . ,(size max-queue 'start-receiver))
     (max-connections . ,max-connections)
     (threads . ,threads)
     (idle-timeout . ,idle-timeout)
     (request-timeout . ,request-timeout)
     (token . ,token))))

(define (stop-receiver receiver)
  "Stop RECEIVER: it no longer listens and its window is freed.  Stopping
twice is harmless."
  (%receiver-stop receiver))

(define (receiver-port receiver)
  "The port RECEIVER listens on."
  (%receiver-port receiver))

(define (receiver-stats receiver)
  "RECEIVER's counters since it started and the state of its window, as
an alist: @code{requests}, @code{requests-ok}, @code{bad-requests},
@code{too-large}, @code{unsupported}, @code{unauthorized}, @code{busy},
@code{timed-out}, @code{spans-accepted}, @code{spans-rejected} (older than
the window), @code{spans-expired}, @code{spans-dropped} (for the memory
bound), @code{spans-held}, @code{segments}, @code{memory} and
@code{queued} (bytes)."
  (%receiver-stats receiver))

(define* (receiver-snapshot receiver #:key since service)
  "A new trace set (see @code{(deploy-ledger traces)}) of the spans in
RECEIVER's window that start at or after SINCE (nanoseconds or RFC 3339;
#f: the whole window), of SERVICE only when given."
  (%receiver-snapshot receiver
                      (cond ((not since) #f)
                            ((string? since) (rfc3339->ns since))
                            (else since))
                      service))

(define (receiver-status-line stats)
  "One line describing the receiver STATS (as @code{receiver-stats} gives
them): spans accepted, held, dropped, refused requests, memory."
  (define (ref k) (or (assq-ref stats k) 0))
  (format #f "accepted ~a spans (~a too old), holding ~a in ~,1f MiB; expired ~a, dropped ~a \
for --max-memory; ~a requests, ~a refused (~a bad, ~a too large, ~a unsupported, ~a \
unauthorized, ~a busy), ~a timed out"
          (ref 'spans-accepted) (ref 'spans-rejected) (ref 'spans-held)
          (/ (ref 'memory) 1048576.0) (ref 'spans-expired) (ref 'spans-dropped)
          (ref 'requests) (- (ref 'requests) (ref 'requests-ok)) (ref 'bad-requests)
          (ref 'too-large) (ref 'unsupported) (ref 'unauthorized) (ref 'busy)
          (ref 'timed-out)))
