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

(define* (duration->ns value #:optional (who 'duration->ns))
  "VALUE as nanoseconds: a duration string such as @code{\"90s\"},
@code{\"15m\"}, @code{\"1h30m\"}, @code{\"500ms\"} or @code{\"7d\"}
(units ns, us, ms, s, m, h, d, w; parsed by the C library), or an exact
non-negative integer, taken as nanoseconds already; #f (an option not
given) stays #f.  Anything else raises an @code{invalid-input}
deploy-ledger error from WHO that names VALUE.  Every procedure that takes
a duration reads it here."
  (cond ((not value) #f)
        ((string? value) (%duration-parse value who))
        ((and (exact-integer? value) (>= value 0)) value)
        (else (raise-deploy-ledger-error
               'invalid-input who
               (format #f "~a: expected a duration (nanoseconds, or a string such as \"90s\" or \"1h30m\"), got ~s"
                       who value)))))

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
