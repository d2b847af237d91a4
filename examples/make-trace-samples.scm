;;; make-trace-samples.scm: writes examples/trace-samples.json, OTLP/JSON
;;; spans around a canary of `checkout', in the shape an OpenTelemetry
;;; Collector's file exporter writes (one ExportTraceServiceRequest per line,
;;; one line per minute of traffic).
;;;
;;;   build/pre-inst-env guile examples/make-trace-samples.scm \
;;;     > examples/trace-samples.json
;;;
;;; The story (every figure comes from a fixed pseudo-random sequence, so the
;;; file is the same on every run):
;;;
;;;  - checkout v2.3.9 serves three regions; a canary of v2.4.0 starts at
;;;    2024-01-15T10:00:00Z in us-east-1, reaches eu-west-1 ten minutes later
;;;    and never reaches ap-southeast-1; the canary ends at 10:30 and the
;;;    traffic goes back to v2.3.9 (it was rolled back).
;;;  - Traffic runs from 09:30 to 11:00, a request every three seconds on
;;;    average; in a region the canary reached, one request in two goes to
;;;    v2.4.0.
;;;  - Each request is a trace: the frontend's `GET /checkout' calls
;;;    checkout (`POST /api/checkout' or `GET /api/cart'), and a checkout
;;;    calls payments' `POST /charge'.
;;;  - v2.4.0 has the same median latency as v2.3.9, but a fifth of its requests
;;;    wait 250 to 450 ms more for a lock (a p99 regression), and one in
;;;    sixty fails with "inventory reservation timed out", an error v2.3.9
;;;    never shows.  Both versions fail one request in two hundred with
;;;    "HTTP 503".
;;;
;;; The deployment itself is recorded by the deploy scripts and by the demo:
;;; service checkout, version v2.4.0, previous version v2.3.9, canary,
;;; production, regions us-east-1 eu-west-1 ap-southeast-1, from 10:00:00Z
;;; to 10:30:00Z.
(use-modules (srfi srfi-1)
             (deploy-ledger json)
             (deploy-ledger core time))

;; A 32-bit linear congruential generator (Numerical Recipes' constants):
;; the same numbers with every Guile, unlike (random) whose algorithm may
;; change.
(define state 20240115)
(define (next!)
  (set! state (modulo (+ (* state 1664525) 1013904223) 4294967296))
  state)
(define (uniform) (/ (next!) 4294967296.0))
(define (hex-id bytes)
  (string-concatenate
   (map (lambda (_) (string-pad (number->string (next!) 16) 8 #\0))
        (iota (quotient bytes 4)))))

(define t0 (rfc3339->ns "2024-01-15T10:00:00Z"))
(define minute 60000000000)
(define ms 1000000)
(define canary-from '(("us-east-1" . 0) ("eu-west-1" . 10)))
(define regions '("us-east-1" "eu-west-1" "ap-southeast-1"))

(define (checkout-version region offset-min)
  ;; The canary runs from its region's start to 10:30.
  (let ((from (assoc-ref canary-from region)))
    (if (and from (>= offset-min from) (< offset-min 30) (< (uniform) 1/2))
        "v2.4.0"
        "v2.3.9")))

(define (latency base spread)
  ;; Log-normal-ish: the base plus an exponential tail.
  (+ base (* spread (- (log (- 1 (* 0.999 (uniform))))))))

(define (attr key value)
  `((key . ,key)
    (value . ,(if (string? value)
                  `((stringValue . ,value))
                  `((intValue . ,(number->string value)))))))

(define (span trace-id span-id parent name start duration attributes error)
  `((traceId . ,trace-id)
    (spanId . ,span-id)
    ,@(if parent `((parentSpanId . ,parent)) '())
    (name . ,name)
    (kind . 2)
    (startTimeUnixNano . ,(number->string start))
    (endTimeUnixNano . ,(number->string (+ start duration)))
    (attributes . ,(list->vector attributes))
    (status . ,(if error `((code . 2) (message . ,error)) '((code . 1))))))

(define (request start region)
  "The spans of one request starting at START in REGION, as a list of
(resource-key . span)."
  (let* ((offset-min (quotient (- start t0) minute))
         (version (checkout-version region offset-min))
         (canary? (string=? version "v2.4.0"))
         (pay? (< (uniform) 0.6))
         (route (if pay? "/api/checkout" "/api/cart"))
         (trace-id (hex-id 16))
         (front-id (hex-id 8))
         (checkout-id (hex-id 8))
         (charge-id (and pay? (hex-id 8)))
         (charge-ms (and pay? (latency 18 6)))
         (stall (if (and canary? (< (uniform) 0.2)) (+ 250 (* 200 (uniform))) 0))
         (new-error (and canary? (< (uniform) 1/60) "inventory reservation timed out"))
         (old-error (and (< (uniform) 1/200) "HTTP 503"))
         (error (or new-error old-error))
         (checkout-ms (+ (latency (if pay? 42 25) 9) (or charge-ms 0) stall))
         (checkout-start (+ start (* 2 ms)))
         (front-ms (+ checkout-ms 4 (* 3 (uniform)))))
    (append
     (list (cons (list "frontend" "v1.8.2" region)
                 (span trace-id front-id #f "GET /checkout" start
                       (inexact->exact (round (* front-ms ms)))
                       (list (attr "http.route" "/checkout")
                             (attr "http.response.status_code" (if error 502 200)))
                       (and error "upstream checkout failed")))
           (cons (list "checkout" version region)
                 (span trace-id checkout-id front-id
                       (string-append (if pay? "POST " "GET ") route) checkout-start
                       (inexact->exact (round (* checkout-ms ms)))
                       (list (attr "http.route" route)
                             (attr "http.response.status_code"
                                   (cond (new-error 500) (old-error 503) (else 200))))
                       error)))
     (if pay?
         (list (cons (list "payments" "v5.1.0" region)
                     (span trace-id charge-id checkout-id "POST /charge"
                           (+ checkout-start (* 3 ms))
                           (inexact->exact (round (* charge-ms ms)))
                           (list (attr "http.route" "/charge")
                                 (attr "http.response.status_code" 200))
                           #f)))
         '()))))

(define (resource service version region)
  `((attributes . #(,(attr "service.name" service)
                    ,(attr "service.version" version)
                    ,(attr "cloud.region" region)
                    ,(attr "deployment.environment.name" "production")))))

(define (minute-request minute-start)
  "One ExportTraceServiceRequest with the requests that start in the minute
from MINUTE-START: about 20, each in a region drawn at random."
  (let loop ((t (+ minute-start (inexact->exact (round (* 6000 ms (uniform))))))
             (spans '()))
    (if (>= t (+ minute-start minute))
        (let ((keys (delete-duplicates (map car spans))))
          `((resourceSpans
             . ,(list->vector
                 (map (lambda (key)
                        `((resource . ,(apply resource key))
                          (scopeSpans
                           . #(((scope . ((name . "make-trace-samples")))
                                (spans . ,(list->vector
                                           (filter-map (lambda (s) (and (equal? (car s) key) (cdr s)))
                                                       (reverse spans)))))))))
                      keys)))))
        (loop (+ t (inexact->exact (round (* 6000 ms (uniform)))))
              (append (reverse (request t (list-ref regions (quotient (next!) 1431655766))))
                      spans)))))

(for-each (lambda (m)
            (write-json (minute-request (+ t0 (* m minute))))
            (newline))
          (iota 90 -30))
