;;; Deployments to OpenTelemetry backends over OTLP/HTTP or OTLP/gRPC,
;;; without loss.
(define-module (deploy-ledger export)
  #:use-module (srfi srfi-1)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:export (make-otlp-exporter
            make-lenient-otlp-exporter
            otlp-exporter-description
            otlp-endpoint-configured?
            deployment-span-payload
            export-spans
            export-deployment
            flush-spool
            requeue-dead-letters
            purge-dead-letters))

(define* (make-otlp-exporter #:key endpoint protocol headers timeout compression
                             certificate client-certificate client-key deadline backoff
                             max-backoff resource-attributes service-name)
  "An OTLP exporter (OTLP/HTTP, or OTLP/gRPC with PROTOCOL
@code{\"grpc\"}).  Settings come from the environment as every
OpenTelemetry SDK reads it (@env{OTEL_EXPORTER_OTLP_ENDPOINT} with
@code{/v1/traces} appended, @env{OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} as is,
@code{_HEADERS}, @code{_TIMEOUT}, @code{_COMPRESSION}, @code{_PROTOCOL},
@code{_CERTIFICATE}, @code{_CLIENT_CERTIFICATE}, @code{_CLIENT_KEY},
@env{OTEL_RESOURCE_ATTRIBUTES}, @env{OTEL_SERVICE_NAME}); each keyword given
overrides its variable, parsed the same way, so a bad value raises the
same @code{&deploy-ledger-error} naming the setting, the value and the
valid ones.  ENDPOINT is the full traces URL (http or https; for gRPC
only its scheme, host and port count); PROTOCOL
@code{\"http/protobuf\"} (default), @code{\"http/json\"} or
@code{\"grpc\"} (unary @code{TraceService/Export} over HTTP/2, without
TLS for @code{http://}, the default endpoint then
@code{http://localhost:4317}); HEADERS an alist
of strings, or @code{\"k=v,...\"} percent-encoded (values are secrets:
never printed), added to the environment's; TIMEOUT, DEADLINE (for all
retries of one send), BACKOFF (the first retry's wait) and MAX-BACKOFF in
milliseconds; COMPRESSION @code{\"gzip\"} or @code{\"none\"};
CERTIFICATE, CLIENT-CERTIFICATE and CLIENT-KEY files for TLS;
RESOURCE-ATTRIBUTES an alist of strings or @code{\"k=v,...\"}, added to
every exported resource (a deployment's own @code{service.name} and
@code{service.version} win); SERVICE-NAME the resource's
@code{service.name} where a span has none."
  (%exporter-new `((endpoint . ,endpoint) (protocol . ,protocol) (headers . ,headers)
                   (timeout . ,timeout) (compression . ,compression)
                   (certificate . ,certificate) (client-certificate . ,client-certificate)
                   (client-key . ,client-key) (deadline . ,deadline) (backoff . ,backoff)
                   (max-backoff . ,max-backoff) (resource-attributes . ,resource-attributes)
                   (service-name . ,service-name))))

(define* (make-lenient-otlp-exporter #:key timeout)
  "An OTLP exporter for a path that must not fail, the deploy path: the
settings of the environment as @code{make-otlp-exporter} reads them, but
a variable whose value cannot be used is left out (its default stays)
instead of raising.  TIMEOUT (milliseconds) overrides
@env{OTEL_EXPORTER_OTLP_TIMEOUT}.  Returns two values: the exporter, and
the list of what was left out, one message per variable naming it and its
value (never a header's value).  When that list is not empty, the
exporter can still encode spans for the spool, but should send nothing:
it is not what the user configured."
  (let ((made (%exporter-new-lenient `((timeout . ,timeout)))))
    (values (car made) (cdr made))))

(define (otlp-exporter-description exporter)
  "The exporter's settings in words: the endpoint without user
information, header values as <redacted>, the resource attributes."
  (%exporter-describe exporter))

(define (otlp-endpoint-configured?)
  "True when the environment names an OTLP endpoint."
  (%otlp-endpoint-configured?))

(define (traceparents links)
  (map (lambda (l) (if (trace-context? l) (trace-context->traceparent l) l)) links))

(define* (deployment-span-payload exporter deployment #:key (part 'end) (history '())
                                  stage (links '()))
  "The encoded spans of DEPLOYMENT for the export spool: PART is
@code{start} (a short child marking the start), @code{stage} (the child span
of region or stage STAGE, from HISTORY) or @code{end} (the deployment span,
an event per status transition in HISTORY, LINKS as trace contexts or
traceparents).  Returns @code{(bytevector content-type span-count)}."
  (%deployment-payload exporter part stage
                       (list (list (deployment-event->c deployment) history
                                   (traceparents links)))))

(define (span->item span)
  "The (deployment history links) the span alist SPAN was made from."
  (let ((d (and (list? span) (assq-ref span 'deployment))))
    (unless (deployment-event? d)
      (raise-deploy-ledger-error
       'invalid-input 'export-spans
       "a span to export must be an alist made by create-deployment-span, which names its deployment; this one has none"))
    (list (deployment-event->c d) (or (assq-ref span 'history) '())
          (traceparents (or (assq-ref span 'links) '())))))

(define (refusal-message result)
  "The message of a collector's permanent refusal, RESULT of a send: the
client's message names the request, the status and the start of the
answer."
  (format #f "the collector refused the spans for good (~a); check the endpoint, its headers and the protocol (OTEL_EXPORTER_OTLP_*)"
          (assq-ref result 'message)))

(define (export-spans exporter spans)
  "Send SPANS, alists as @code{create-deployment-span} returns them, now, in
one request.  Each span is built from the deployment, history and links it
was made from, by the builder of the export spool: the same deployment
and history go out as the same bytes as with @code{export-deployment} or
the command line.  Returns an alist: @code{ok}, @code{http-status},
@code{attempts}, @code{permanent}, @code{rejected-spans}, @code{message}
and @code{response-body}.  A collector that is down or busy past the
deadline gives @code{ok} #f: worth trying again.  One that refuses the
spans for good (such as HTTP 400) raises @code{&deploy-ledger-error} with
code @code{http} and a message quoting the start of its answer as
printable text."
  (let* ((payload (%deployment-payload exporter 'end #f (map span->item spans)))
         (result (%exporter-send exporter (first payload) (second payload))))
    (if (and (not (assq-ref result 'ok)) (assq-ref result 'permanent))
        (raise-deploy-ledger-error 'http 'export-spans (refusal-message result))
        result)))

(define* (export-deployment exporter ledger deployment #:key (links '()))
  "Export DEPLOYMENT's span (its state and history in LEDGER) at once.  The
spans go to LEDGER's spool first, so a collector that is down or refuses
loses nothing: they stay there for @code{flush-spool}.  Returns the flush
counts."
  (let* ((d (or (find-deployment ledger (if (deployment-event? deployment)
                                            (deployment-event-id deployment)
                                            deployment))
                (raise-deploy-ledger-error 'not-found 'export-deployment
                                           "no such deployment in the ledger")))
         (payload (deployment-span-payload exporter d
                                           #:history (deployment-history ledger d)
                                           #:links links)))
    (%ledger-spool-add ledger (deployment-event-id d) payload)
    (flush-spool exporter ledger #:deployment (deployment-event-id d))))

(define* (flush-spool exporter ledger #:key deployment (force? #t) once? timeout)
  "Send what LEDGER's spool holds (only DEPLOYMENT's, when given; with
FORCE?, also items whose retry time has not come), oldest first.  Accepted
items are deleted, temporary failures kept for later, permanent ones moved
to the dead letters.  Delivery is at least once.  With ONCE? (the deploy
path) each item gets one attempt, with no pause and no wait for what the
collector asks, the first temporary failure leaves the rest for later,
and the whole flush is bounded by the exporter's timeout.  TIMEOUT (a
duration, as @code{duration->ns} reads it) bounds the whole flush: the
items not reached stay in the spool as they were.  Returns counts:
@code{sent}, @code{spans}, @code{rejected-spans}, @code{retry-later},
@code{untried}, @code{dead-lettered}, and @code{last-failure}, the
message of the last item not accepted (or #f)."
  (let ((ns (duration->ns timeout 'flush-spool)))
    (%exporter-flush exporter ledger
                     (and deployment (if (deployment-event? deployment)
                                         (deployment-event-id deployment)
                                         deployment))
                     force? once?
                     (and ns (max 1 (quotient (+ ns 999999) 1000000))))))

(define* (requeue-dead-letters ledger #:optional (items '()))
  "Move the dead letters ITEMS (their ids, as @code{spool-entries} with
@code{#:dead? #t} lists them; all of them when empty) back to LEDGER's
spool, due at the next flush: for when what made the collector refuse them
(an expired key, a wrong endpoint) is fixed.  Their attempts are kept.
All or nothing: an id that is not a dead letter raises a @code{not-found}
error and nothing moves.  Returns how many moved."
  (%ledger-spool-requeue ledger items))

(define* (purge-dead-letters ledger #:optional (items '()))
  "Delete the dead letters ITEMS (all of them when empty) from LEDGER for
good.  Pending items are never deleted.  All or nothing, as
@code{requeue-dead-letters}.  Returns how many were deleted."
  (%ledger-spool-purge ledger items))
