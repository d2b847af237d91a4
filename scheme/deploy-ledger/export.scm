;;; Deployments to OpenTelemetry backends over OTLP/HTTP, without loss.
(define-module (deploy-ledger export)
  #:use-module (srfi srfi-1)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:export (make-otlp-exporter
            otlp-exporter-description
            otlp-endpoint-configured?
            deployment-span-payload
            export-spans
            export-deployment
            flush-spool))

(define* (make-otlp-exporter #:key endpoint protocol headers timeout compression
                             certificate client-certificate client-key deadline backoff
                             max-backoff resource-attributes service-name)
  "An OTLP/HTTP exporter.  Settings come from the environment as every
OpenTelemetry SDK reads it (@env{OTEL_EXPORTER_OTLP_ENDPOINT} with
@code{/v1/traces} appended, @env{OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} as is,
@code{_HEADERS}, @code{_TIMEOUT}, @code{_COMPRESSION}, @code{_PROTOCOL},
@code{_CERTIFICATE}, @code{_CLIENT_CERTIFICATE}, @code{_CLIENT_KEY},
@env{OTEL_RESOURCE_ATTRIBUTES}, @env{OTEL_SERVICE_NAME}); each keyword given
overrides its variable, parsed the same way, so a bad value raises the
same @code{&deploy-ledger-error} naming the setting, the value and the
valid ones.  ENDPOINT is the full traces URL (http or https); PROTOCOL
@code{\"http/protobuf\"} (default) or @code{\"http/json\"}; HEADERS an alist
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

(define* (flush-spool exporter ledger #:key deployment (force? #t))
  "Send what LEDGER's spool holds (only DEPLOYMENT's, when given; with
FORCE?, also items whose retry time has not come).  Accepted items are
deleted, temporary failures kept for later, permanent ones moved to the
dead letters.  Delivery is at least once.  Returns counts: @code{sent},
@code{spans}, @code{rejected-spans}, @code{retry-later},
@code{dead-lettered}."
  (%exporter-flush exporter ledger
                   (and deployment (if (deployment-event? deployment)
                                       (deployment-event-id deployment)
                                       deployment))
                   force?))
