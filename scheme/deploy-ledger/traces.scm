;;; Trace sets: spans loaded from files or fetched from Jaeger and Tempo,
;;; held in a columnar store in C, filtered and merged without copying.
(define-module (deploy-ledger traces)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-11)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger fetch-limits)
  #:export (trace-set?
            load-traces
            jaeger-traces
            jaeger-services
            tempo-traces
            trace-set-count
            trace-set-filter
            trace-set-merge
            trace-set->list
            trace-set-services
            trace-set-values
            trace-set-time-range
            trace-set-stats
            span-kind->integer
            integer->span-kind))

;; What produced each set (files, requests, traces), without keeping the
;; set alive.
(define %stats (make-weak-key-hash-table))

(define (remember set stats)
  (hashq-set! %stats set stats)
  set)

(define* (span-kind->integer kind #:optional (who 'span-kind->integer))
  "The OTLP number of span KIND, a symbol: @code{unspecified} (0),
@code{internal}, @code{server}, @code{client}, @code{producer} or
@code{consumer} (5).  Anything else raises an @code{invalid-input} error
from WHO that lists the valid kinds.  The names are the C library's one
table of them."
  (%span-kind->integer kind who))

(define (integer->span-kind n)
  "The name (a symbol) of the span kind numbered N in OTLP, or #f when N
numbers none."
  (%integer->span-kind n))

(define (trace-set? obj)
  "True when OBJ is a trace set (a whole set or a filtered view of one)."
  (%trace-set? obj))

(define (trace-set-stats set)
  "An alist describing how SET was made: for a load, @code{spans},
@code{skipped} (spans, lines or files), @code{skipped-files} (of those,
whole files), @code{files}, @code{bytes} and @code{warning} (the first
problem skipped in lenient mode, or #f); for a fetch, @code{traces},
@code{spans}, @code{requests}, @code{retries}, @code{slices},
@code{splits} and @code{api}.  #f for a set made by filtering or merging."
  (hashq-ref %stats set #f))

(define (check-keys who keep)
  (unless (and (list? keep) (every string? keep))
    (raise-deploy-ledger-error
     'invalid-input who
     (format #f "~a: #:keep must be a list of attribute keys (strings), got ~s" who keep))))

(define (url? path)
  (or (string-prefix? "http://" path) (string-prefix? "https://" path)))

(define* (load-traces path #:key lenient? (keep '()) (format 'auto) max-bytes
                      timeout retries credentials)
  "Load the spans of PATH, a file or a directory, into a new trace set.
The format of each file is detected from its content: OTLP protobuf
(@code{ExportTraceServiceRequest} or @code{TracesData}), OTLP JSON (one
document, or JSON Lines as the collector's file exporter writes them),
Jaeger JSON (a query answer, a UI download, an array of spans); gzip is
read transparently.  A directory is read recursively: files ending in
@code{.json}, @code{.jsonl}, @code{.ndjson}, @code{.pb}, @code{.bin},
@code{.protobuf} or @code{.otlp}, optionally followed by @code{.gz}.

Malformed input raises a deploy-ledger error naming the file and the place
(line, column and JSON path, or byte offset), and loads nothing; with
@code{#:lenient? #t} the bad spans, lines or files are skipped instead and
counted in @code{(trace-set-stats set)}.  @code{#:keep} lists attribute keys
(such as @code{\"http.route\"}) to keep as columns for filtering and
grouping; @code{#:format} forces one of @code{otlp-protobuf},
@code{otlp-json} or @code{jaeger-json}.

Only regular files are read: a FIFO, a device or a socket is an error
(with @code{#:lenient? #t}, inside a directory, a skipped file), and so is
a directory that links back to itself.  No file may hold more than
@code{#:max-bytes} (a size such as @code{\"1GiB\"}; default
@env{DEPLOY_LEDGER_MAX_INPUT}, else 512 MiB), before or after gzip, and
gzip that inflates more than 200 times is refused as a bomb.

PATH may also be an @code{http://} or @code{https://} URL of one trace
document, fetched within @code{#:timeout} in all (default
@env{DEPLOY_LEDGER_TIMEOUT}, else two minutes) with @code{#:retries}
retries (default @env{DEPLOY_LEDGER_RETRIES}, else 3); credentials only
from the variables starting with the prefix @code{#:credentials}."
  (check-keys 'load-traces keep)
  (let ((result (if (url? path)
                    (%url-load `((url . ,path) (keep . ,keep) (lenient . ,lenient?)
                                 (format . ,format) (credentials . ,credentials)
                                 (timeout-ms . ,(fetch-timeout-ms timeout 'load-traces))
                                 (retries . ,(fetch-retries retries 'load-traces))
                                 (max-bytes . ,(input-limit max-bytes 'load-traces))))
                    (%trace-set-load path lenient? keep format
                                     (input-limit max-bytes 'load-traces)))))
    (remember (car result) (cdr result))))

(define (window who start end)
  "START and END as nanoseconds: integers or RFC 3339 strings; END defaults
to now and START to an hour before END."
  (let* ((end (or (->ns end who) (current-time-ns)))
         (start (or (->ns start who) (- end (* 3600 1000000000)))))
    (values start end)))

(define (report who set verbose?)
  (when verbose?
    (let ((st (trace-set-stats set)))
      (format (current-error-port) "~a: ~a traces (~a spans) in ~a requests, ~a retries~%"
              who (assq-ref st 'traces) (assq-ref st 'spans)
              (assq-ref st 'requests) (assq-ref st 'retries))))
  set)

(define* (jaeger-traces #:key
                        (url (or (getenv "DEPLOY_LEDGER_JAEGER_URL") "http://localhost:16686"))
                        service operation start end (limit 1000)
                        (api 'auto) (slice "1h") max-slices timeout retries max-bytes
                        credentials lenient? (keep '()) verbose?)
  "Fetch from Jaeger the traces of SERVICE between START and END (nanoseconds
or RFC 3339 strings; by default the last hour) into a new trace set.

@code{#:api} is @code{v3} (Jaeger v2's @code{/api/v3/traces}, OTLP JSON),
@code{v1} (the JSON API of @code{/api/traces}) or @code{auto} (ask which
answers).  The window is fetched in slices of @code{#:slice} (a duration,
default one hour), each asking for at most @code{#:limit} traces; a slice
that hits the limit is split in two and asked again.  At most
@code{#:max-slices} slices are asked in all (default 500, splits included):
a longer window is refused before any request, and a slice that could
only be split beyond that keeps what it got.  Traces met in two
slices are kept once.

The whole fetch -- the API probes, every slice, retries and the pauses
between them -- ends within @code{#:timeout} (a duration; default
@env{DEPLOY_LEDGER_TIMEOUT}, else two minutes), each attempt within 30 s
of it, and an attempt that receives less than 16 bytes a second for 15 s
is cut off.  A request is retried @code{#:retries} times (default
@env{DEPLOY_LEDGER_RETRIES}, else 3) on 429, 502, 503, 504 and network
errors, with exponential backoff or after the server's Retry-After (the
HTTP client the exporter uses too).  No
answer may hold more than @code{#:max-bytes} (a size such as
@code{\"1GiB\"}; default @env{DEPLOY_LEDGER_MAX_INPUT}, else 512 MiB)
after decompression.  Credentials come from the environment:
@code{DEPLOY_LEDGER_JAEGER_TOKEN} (bearer) or @code{DEPLOY_LEDGER_JAEGER_USER}
and @code{DEPLOY_LEDGER_JAEGER_PASSWORD} (basic), or the variables starting
with the prefix @code{#:credentials}; they are never printed.  The URL
defaults to @code{DEPLOY_LEDGER_JAEGER_URL}, else
@code{http://localhost:16686}.  The number of traces fetched is in
@code{(trace-set-stats set)}, and printed with @code{#:verbose? #t}."
  (unless (string? service)
    (raise-deploy-ledger-error 'invalid-input 'jaeger-traces
                               "jaeger-traces: #:service names the service whose traces to fetch"))
  (check-keys 'jaeger-traces keep)
  (let-values (((start end) (window 'jaeger-traces start end)))
    (let ((result (%jaeger-fetch
                   `((url . ,url) (service . ,service) (operation . ,operation)
                     (start . ,start) (end . ,end) (limit . ,limit)
                     (slice . ,(duration->ns slice 'jaeger-traces)) (max-slices . ,max-slices)
                     (api . ,(case api ((v3) 3) ((v1) 1) ((auto #f) #f)
                                   (else (raise-deploy-ledger-error
                                          'invalid-input 'jaeger-traces
                                          (format #f "jaeger-traces: #:api is v3, v1 or auto, not ~s" api)))))
                     (timeout-ms . ,(fetch-timeout-ms timeout 'jaeger-traces))
                     (retries . ,(fetch-retries retries 'jaeger-traces))
                     (max-bytes . ,(input-limit max-bytes 'jaeger-traces))
                     (credentials . ,credentials)
                     (lenient . ,lenient?) (keep . ,keep)))))
      (report 'jaeger-traces (remember (car result) (cdr result)) verbose?))))

(define* (jaeger-services #:key
                          (url (or (getenv "DEPLOY_LEDGER_JAEGER_URL") "http://localhost:16686"))
                          (api 'auto) timeout retries)
  "The names of the services Jaeger at URL knows, sorted; @code{#:timeout}
and @code{#:retries} as for @code{jaeger-traces}.  An answer of more than
16 MiB or 100,000 names is refused: no list of services is that long."
  (%jaeger-services url (case api ((v3) 3) ((v1) 1) (else #f))
                    (fetch-timeout-ms timeout 'jaeger-services)
                    (fetch-retries retries 'jaeger-services)))

(define* (tempo-traces #:key
                       (url (or (getenv "DEPLOY_LEDGER_TEMPO_URL") "http://localhost:3200"))
                       service operation query start end (limit 1000)
                       (slice "1h") max-slices timeout retries max-bytes
                       credentials lenient? (keep '()) verbose?)
  "Fetch from Grafana Tempo the traces matching a TraceQL query between START
and END (nanoseconds or RFC 3339 strings; by default the last hour) into a
new trace set.  The query is @code{#:query}, or by default
@code{@{resource.service.name=\"SERVICE\"@}} (with @code{&& name=\"OPERATION\"}
when @code{#:operation} is given).  Each slice of the window (@code{#:slice},
default one hour) is searched through @code{/api/search} with at most
@code{#:limit} results (a slice that hits the limit is split); each trace
found is then read from @code{/api/traces/<id>} (OTLP protobuf or JSON).
A search answer of more than 64 MiB is refused.  The deadline
(@code{#:timeout}), retries, @code{#:max-bytes} and credentials work as
for @code{jaeger-traces}, with
the variables @code{DEPLOY_LEDGER_TEMPO_TOKEN}, @code{DEPLOY_LEDGER_TEMPO_USER},
@code{DEPLOY_LEDGER_TEMPO_PASSWORD}; the URL defaults to
@code{DEPLOY_LEDGER_TEMPO_URL}, else @code{http://localhost:3200}."
  (check-keys 'tempo-traces keep)
  (let-values (((start end) (window 'tempo-traces start end)))
    (let ((result (%tempo-fetch
                   `((url . ,url) (service . ,service) (operation . ,operation)
                     (traceql . ,query) (start . ,start) (end . ,end) (limit . ,limit)
                     (slice . ,(duration->ns slice 'tempo-traces)) (max-slices . ,max-slices)
                     (timeout-ms . ,(fetch-timeout-ms timeout 'tempo-traces))
                     (retries . ,(fetch-retries retries 'tempo-traces))
                     (max-bytes . ,(input-limit max-bytes 'tempo-traces))
                     (credentials . ,credentials)
                     (lenient . ,lenient?) (keep . ,keep)))))
      (report 'tempo-traces (remember (car result) (cdr result)) verbose?))))

(define (trace-set-count set)
  "The number of spans in SET."
  (%trace-set-count set))

(define* (trace-set-filter set #:key service operation kind start end
                           version region environment attribute)
  "A view of the spans of SET that match every criterion given: SERVICE,
OPERATION (span name), KIND (@code{server}, @code{client}, @code{internal},
@code{producer}, @code{consumer} or @code{unspecified}), START and END
(the span starts in [START, END); nanoseconds or RFC 3339 strings),
VERSION, REGION and ENVIRONMENT (@code{service.version},
@code{cloud.region}, @code{deployment.environment.name}), and ATTRIBUTE, a
pair @code{(key . value)} for an attribute kept with @code{#:keep}
(@code{(key . #f)}: any value).  Nothing is copied: the view shares SET's
columns, and can be filtered, merged, counted and listed like a set."
  (define (by-attribute s key value)
    (if value (%trace-set-filter s #f #f #f #f #f (cons key value)) s))
  (let* ((s (%trace-set-filter set service operation
                               (and kind (span-kind->integer kind 'trace-set-filter))
                               (->ns start 'trace-set-filter) (->ns end 'trace-set-filter)
                               attribute))
         (s (by-attribute s "service.version" version))
         (s (by-attribute s "cloud.region" region))
         (s (by-attribute s "deployment.environment.name" environment)))
    s))

(define (trace-set-merge set . sets)
  "A new trace set holding the spans of SET and every one of SETS, in order
(strings are interned again; attribute columns kept in any are kept)."
  (%trace-set-merge (cons set sets)))

(define* (trace-set->list set #:key limit)
  "The spans of SET as a list of alists, at most LIMIT of them -- meant for
small sets, at a REPL or in a report.  Each alist has @code{trace-id},
@code{span-id} and @code{parent-id} (hex strings, #f for a root),
@code{service}, @code{operation}, @code{kind} (a symbol), @code{start} and
@code{duration} (ns), @code{version}, @code{region}, @code{environment},
@code{error?}, @code{error-type} (the exception type, the status message
or \"HTTP <code> <route>\") and @code{attributes}, an alist of the kept
attributes."
  (%trace-set->list set limit))

(define (trace-set-values set field)
  "The distinct values of FIELD in SET, sorted: FIELD is @code{service},
@code{version}, @code{region}, @code{environment}, @code{operation} or
@code{error-type}."
  (%trace-set-distinct set field))

(define (trace-set-services set)
  "The names of the services with spans in SET, sorted."
  (trace-set-values set 'service))

(define* (trace-set-time-range set #:key rfc3339?)
  "A pair (FIRST . LAST): the earliest start and the latest end of the spans
of SET in nanoseconds, or as RFC 3339 strings with @code{#:rfc3339? #t};
#f for an empty set."
  (let ((r (%trace-set-time-range set)))
    (if (and r rfc3339?)
        (cons (ns->rfc3339 (car r)) (ns->rfc3339 (cdr r)))
        r)))
