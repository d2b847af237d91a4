;;; Time: integer nanoseconds inside, RFC 3339 at the edges.
(define-module (deploy-ledger core time)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:export (current-time-ns
            rfc3339->ns
            ns->rfc3339
            duration->ns
            ->ns))

(define (current-time-ns)
  "The current wall-clock time in nanoseconds since the Unix epoch."
  (%time-now))

(define (rfc3339->ns text)
  "Parse the RFC 3339 timestamp TEXT (fraction up to 9 digits, @code{Z} or
an offset) into nanoseconds; raise a deploy-ledger error naming TEXT if it
is not one."
  (%time-parse text))

(define (ns->rfc3339 ns)
  "Format NS nanoseconds as an RFC 3339 timestamp in UTC."
  (%time-format ns))

(define (duration->ns text)
  "Parse a duration such as @code{\"15m\"}, @code{\"2h\"}, @code{\"1h30m\"}
or @code{\"500ms\"} into nanoseconds."
  (%duration-parse text))

(define (->ns value who)
  "VALUE as nanoseconds: an exact integer as is, a string as RFC 3339, #f
as #f.  WHO names the argument in errors."
  (cond ((not value) #f)
        ((exact-integer? value) value)
        ((string? value) (rfc3339->ns value))
        (else (raise-deploy-ledger-error
               'invalid-input who
               (format #f "~a: expected nanoseconds or an RFC 3339 string, got ~s"
                       who value)))))
