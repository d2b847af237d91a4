;;; The limits of every read of traces: how long a fetch may take in all,
;;; how often a request is retried, how large one input may be.  Each is
;;; a keyword of the procedures that read traces, an option of the
;;; commands that correlate, and an environment variable, read here once.
(define-module (deploy-ledger fetch-limits)
  #:use-module (ice-9 regex)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:export (size->bytes
            message-naming
            fetch-timeout-ms
            fetch-retries
            input-limit
            %default-fetch-timeout
            %default-fetch-retries))

(define %default-fetch-timeout "2m")
(define %default-fetch-retries 3)

(define (invalid who fmt . args)
  (raise-deploy-ledger-error 'invalid-input who (apply format #f fmt args)))

(define %size-units
  ;; Binary multiples for K, M, G and their IEC names; decimal for kB, MB, GB.
  '(("" . 1) ("B" . 1)
    ("K" . 1024) ("KiB" . 1024) ("kB" . 1000) ("KB" . 1000)
    ("M" . 1048576) ("MiB" . 1048576) ("MB" . 1000000)
    ("G" . 1073741824) ("GiB" . 1073741824) ("GB" . 1000000000)
    ("T" . 1099511627776) ("TiB" . 1099511627776) ("TB" . 1000000000000)))

(define* (size->bytes value #:optional (who 'size->bytes))
  "VALUE as a number of bytes: an exact positive integer, or a string of
digits with an optional unit: @code{K}/@code{KiB}, @code{M}/@code{MiB},
@code{G}/@code{GiB} (powers of 1024), @code{kB}, @code{MB}, @code{GB}
(powers of 1000), as in @code{\"512MiB\"} or @code{\"2G\"}; #f stays #f.
Anything else raises an @code{invalid-input} error from WHO naming VALUE."
  (define (bad)
    (invalid who "~a: expected a size (bytes, or a number with a unit such as \"512MiB\" or \
\"2G\"), got ~s" who value))
  (cond ((not value) #f)
        ((and (exact-integer? value) (> value 0)) value)
        ((string? value)
         (let ((m (string-match "^ *([0-9]+) *([A-Za-z]*) *$" value)))
           (unless m (bad))
           (let ((n (string->number (match:substring m 1)))
                 (unit (assoc (match:substring m 2) %size-units)))
             (unless (and unit (> n 0)) (bad))
             (* n (cdr unit)))))
        (else (bad))))

(define (message-naming label e)
  "The message of error E, starting with LABEL (the option or variable
that held the bad value) once, whether or not E's message named it."
  (let ((m (if (deploy-ledger-error? e) (deploy-ledger-error-message e) (format #f "~a" e)))
        (prefix (string-append label ": ")))
    (if (string-prefix? prefix m) m (string-append prefix m))))

(define (from-environment variable parse)
  "The value of environment VARIABLE read by PARSE (called with the text
and the variable's name, for its errors), or #f when it is unset or empty."
  (let ((text (getenv variable)))
    (and text (not (string-null? text))
         (with-exception-handler
             (lambda (e)
               ;; Say which variable held the bad value.
               (invalid (string->symbol variable) "~a" (message-naming variable e)))
           (lambda () (parse text (string->symbol variable)))
           #:unwind? #t))))

(define (timeout->ms value who)
  (let ((ns (duration->ns value who)))
    (unless (> ns 0)
      (invalid who "~a: the timeout must be longer than 0, got ~s" who value))
    (max 1 (quotient ns 1000000))))

(define* (fetch-timeout-ms value #:optional (who 'fetch-timeout-ms))
  "The total deadline of a fetch in milliseconds: VALUE (a duration, see
@code{duration->ns}) when given, else @env{DEPLOY_LEDGER_TIMEOUT}, else
two minutes.  Every request of the fetch -- probes, slices, retries and
the pauses between them -- ends within it."
  (if value
      (timeout->ms value who)
      (or (from-environment "DEPLOY_LEDGER_TIMEOUT" timeout->ms)
          (timeout->ms %default-fetch-timeout who))))

(define (count->retries value who)
  (let ((n (if (string? value) (string->number value) value)))
    (unless (and (exact-integer? n) (>= n 0) (<= n 100))
      (invalid who "~a: the number of retries must be a whole number from 0 to 100, got ~s"
               who value))
    n))

(define* (fetch-retries value #:optional (who 'fetch-retries))
  "How many times a failed request is tried again (429, 502, 503, 504, a
dropped connection, a timeout): VALUE when given, else
@env{DEPLOY_LEDGER_RETRIES}, else 3; never past the fetch's deadline."
  (if value
      (count->retries value who)
      (or (from-environment "DEPLOY_LEDGER_RETRIES" count->retries)
          %default-fetch-retries)))

(define* (input-limit value #:optional (who 'input-limit))
  "The largest trace input accepted, in bytes, per file or backend answer
after decompression: VALUE (see @code{size->bytes}) when given, else
@env{DEPLOY_LEDGER_MAX_INPUT}, else #f (the C library's default, 512 MiB)."
  (if value
      (size->bytes value who)
      (from-environment "DEPLOY_LEDGER_MAX_INPUT" size->bytes)))
