;;; W3C trace contexts as Scheme records.
(define-module (deploy-ledger core trace-context)
  #:use-module (srfi srfi-1)
  #:use-module (srfi srfi-9)
  #:use-module (srfi srfi-9 gnu)
  #:use-module (deploy-ledger core extension)
  #:export (trace-context?
            make-trace-context
            list->trace-context
            trace-context-trace-id
            trace-context-span-id
            trace-context-flags
            trace-context-tracestate
            trace-context-sampled?
            trace-context-child
            trace-context->traceparent
            traceparent->trace-context
            trace-context->headers
            trace-context-with-tracestate
            extract-trace-context
            trace-context-from-environment
            trace-context->environment))

(define-record-type <trace-context>
  (%make-trace-context trace-id span-id flags tracestate)
  trace-context?
  (trace-id trace-context-trace-id)       ; 32 lower-case hex digits
  (span-id trace-context-span-id)         ; 16 lower-case hex digits
  (flags trace-context-flags)             ; integer 0-255
  (tracestate trace-context-tracestate))  ; string, possibly ""

(set-record-type-printer!
 <trace-context>
 (lambda (ctx port)
   (format port "#<trace-context ~a>" (trace-context->traceparent ctx))))

(define (list->trace-context parts)
  "Make a trace context from the list (trace-id span-id flags tracestate)
that the C primitives return; #f stays #f."
  (and parts (apply %make-trace-context parts)))

(define* (make-trace-context #:key trace-id span-id (flags 3) (tracestate ""))
  "Make a trace context.  With no arguments, a new root context: random
trace and span ids, sampled and random flags.  With TRACE-ID and SPAN-ID
(hex strings), that context, validated as a traceparent would be."
  (if (or trace-id span-id)
      (list->trace-context
       (%trace-context-check (or trace-id "") (or span-id "") flags tracestate))
      (let ((root (list->trace-context (%trace-context-new-root))))
        (if (string-null? tracestate)
            root
            (trace-context-with-tracestate root tracestate)))))

(define (trace-context-with-tracestate ctx tracestate)
  "CTX with its tracestate replaced by TRACESTATE (validated)."
  (list->trace-context
   (%trace-context-check (trace-context-trace-id ctx) (trace-context-span-id ctx)
                         (trace-context-flags ctx) tracestate)))

(define (trace-context-sampled? ctx)
  "True when the sampled flag of CTX is set."
  (logbit? 0 (trace-context-flags ctx)))

(define (trace-context-child ctx)
  "A child of CTX: the same trace id, flags and tracestate, a fresh span id."
  (list->trace-context
   (%trace-context-child (trace-context-trace-id ctx) (trace-context-span-id ctx)
                         (trace-context-flags ctx) (trace-context-tracestate ctx))))

(define (trace-context->traceparent ctx)
  "The version-00 traceparent header value of CTX, as the C library
writes it."
  (%traceparent-format (trace-context-trace-id ctx) (trace-context-span-id ctx)
                       (trace-context-flags ctx)))

(define (traceparent->trace-context text)
  "Parse the traceparent TEXT; raise a deploy-ledger error naming it if it
is invalid."
  (list->trace-context (%traceparent-parse text)))

(define (trace-context->headers ctx)
  "The HTTP headers that carry CTX: traceparent, and tracestate when it is
not empty."
  (cons (cons "traceparent" (trace-context->traceparent ctx))
        (if (string-null? (trace-context-tracestate ctx))
            '()
            (list (cons "tracestate" (trace-context-tracestate ctx))))))

(define (extract-trace-context headers)
  "The trace context carried by HEADERS, an alist of (name . value) strings
as HTTP libraries give them; #f when there is none or it is invalid (the
caller then starts a fresh trace).  Header names are matched without regard
to case; several tracestate headers are joined in order."
  (list->trace-context (%trace-context-extract headers)))

(define (trace-context-from-environment)
  "The context in the TRACEPARENT and TRACESTATE environment variables, as
CI systems pass it; #f when TRACEPARENT is unset or invalid."
  (list->trace-context (%trace-context-from-environment)))

(define (trace-context->environment ctx)
  "Lines @code{TRACEPARENT=...} (and @code{TRACESTATE=...}) for a CI
environment file such as GitHub's @env{GITHUB_ENV}."
  (string-append "TRACEPARENT=" (trace-context->traceparent ctx) "\n"
                 (if (string-null? (trace-context-tracestate ctx))
                     ""
                     (string-append "TRACESTATE=" (trace-context-tracestate ctx)
                                    "\n"))))
