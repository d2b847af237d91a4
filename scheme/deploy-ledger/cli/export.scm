;;; The export subcommands of `deploy-ledger' (flush and spool), and what
;;; the recording commands share with them: how a flush is reported, and
;;; --export in the deploy path, which never fails or stalls a deployment.
(define-module (deploy-ledger cli export)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 exceptions)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger export)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:export (command-flush
            command-spool
            export-options
            export-options-help
            deploy-path-exporter
            export-in-deploy-path))

;;; Saying what a flush did

(define (last-refusal ledger)
  "The reason of the dead letter of LEDGER refused last: the request, the
collector's status and the start of its answer."
  (let* ((dead (spool-entries ledger #:dead? #t))
         (newest (and (pair? dead)
                      (fold (lambda (e best) (if (> (assq-ref e 'failed) (assq-ref best 'failed))
                                                 e best))
                            (car dead) (cdr dead)))))
    (or (and newest (assq-ref newest 'reason)) "refused")))

(define (items n)
  (format #f "~a item~:p" n))

(define (flush-outcome counts ledger)
  "What a flush with COUNTS left behind in LEDGER, in words (#f when
nothing): the items waiting in the spool, and those refused for good,
which are dead letters."
  (let ((waiting (+ (assq-ref counts 'retry-later) (assq-ref counts 'untried)))
        (dead (assq-ref counts 'dead-lettered)))
    (and (positive? (+ waiting dead))
         (string-append
          (if (zero? waiting)
              ""
              (format #f "~a not accepted (~a), kept in the spool for `deploy-ledger flush' \
(see deploy-ledger spool)"
                      (items waiting) (or (assq-ref counts 'last-failure) "not tried")))
          (if (or (zero? waiting) (zero? dead)) "" "; ")
          (if (zero? dead)
              ""
              (format #f "~a refused for good (~a), moved to the dead letters (see deploy-ledger \
spool --dead; deploy-ledger spool --requeue sends them again once the cause is fixed)"
                      (items dead) (last-refusal ledger)))))))

(define (report-flush counts ledger)
  "Say on stderr what a flush of LEDGER did (quoting the collector when it
refused an item for good); return the exit status it deserves."
  (let ((left (flush-outcome counts ledger)))
    (format (current-error-port) "deploy-ledger: exported ~a span~:p~a~%"
            (assq-ref counts 'spans) (if left (string-append "; " left) ""))
    (if left %exit-export %exit-ok)))

;;; --export in the deploy path

(define export-options
  '((export flag) (export-timeout value) (strict-export flag)))

(define export-options-help "\
  --export               send the spans to the OTLP endpoint now: one attempt
                         within OTEL_EXPORTER_OTLP_TIMEOUT (default 10s), no
                         retry; what the collector does not take waits in the
                         spool for `deploy-ledger flush', with a warning, and
                         the deployment is recorded all the same (exit 0)
  --export-timeout D     that attempt's limit instead (a duration: 2s, 500ms)
  --strict-export        exit 6 when the spans were not exported
")

(define (export-timeout-ms command options)
  "--export-timeout of OPTIONS in milliseconds (rounded up), or #f; a
usage error naming COMMAND when it is not a duration of 1ms or more."
  (let ((text (option options 'export-timeout)))
    (and text
         (let ((ns (guard (e ((deploy-ledger-error? e)
                              (usage-error "~a: --export-timeout: ~a" command
                                           (deploy-ledger-error-message e))))
                     (duration->ns text))))
           (when (< ns 1000000)
             (usage-error "~a: --export-timeout must be at least 1ms, got \"~a\"" command text))
           (quotient (+ ns 999999) 1000000)))))

(define (deploy-path-exporter command options)
  "The exporter that spools (and with --export sends) the spans of a
deployment step, or #f when there is none to make: without --export and
with no OTLP endpoint in the environment, the OTEL_* variables are not
read at all.  A variable that cannot be used never stops the deployment
being recorded: it is left out with a one-line warning naming it and its
value, and nothing is sent (the spans wait in the spool).  Returns a pair
(exporter . usable?)."
  (and (or (option options 'export) (otlp-endpoint-configured?))
       (call-with-values
           (lambda () (make-lenient-otlp-exporter
                       #:timeout (export-timeout-ms command options)))
         (lambda (exporter problems)
           (for-each (lambda (p)
                       (print-warning "~a; ignored: nothing is sent, the spans wait in the \
spool until `deploy-ledger flush' with the setting fixed" p))
                     problems)
           (cons exporter (null? problems))))))

(define (not-exported options)
  "The exit status of a deployment step whose spans were not exported:
0, as the deployment is recorded, unless --strict-export."
  (if (option options 'strict-export) %exit-export %exit-ok))

(define (export-in-deploy-path options plan ledger id)
  "With --export in OPTIONS, send the spool of deployment ID in LEDGER
through PLAN (what @code{deploy-path-exporter} returned): one attempt per
item within the exporter's timeout, never a pause; what is left waits in
the spool, said in one warning line.  Returns the exit status the export
deserves (see @code{not-exported})."
  (cond ((not (and plan (option options 'export))) %exit-ok)
        ((not (otlp-endpoint-configured?))
         (print-warning "--export: no OTLP endpoint is configured (set \
OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); the spans wait in the spool \
for `deploy-ledger flush'")
         (not-exported options))
        ((not (cdr plan)) (not-exported options))
        (else
         (let* ((counts (flush-spool (car plan) ledger #:deployment id #:once? #t))
                (left (flush-outcome counts ledger)))
           (cond (left
                  (print-warning "spans not exported: ~a" left)
                  (not-exported options))
                 (else %exit-ok))))))

;;; flush

(define flush-help "\
Usage: deploy-ledger flush [--deployment ID] [--timeout D] [--json]
Send the spans waiting in the ledger's export spool to the OTLP endpoint
(OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, and
the other OTEL_EXPORTER_OTLP_* settings; OTEL_EXPORTER_OTLP_PROTOCOL
http/protobuf, http/json or grpc).  Each item is retried while the
collector is down or busy (429, 502, 503, 504; gRPC UNAVAILABLE and the
other retryable statuses), honouring what it asks to wait, for up to 30s.
Accepted items leave the spool; those a down or busy collector did not
take stay for the next flush; those it refused for good become dead
letters (deploy-ledger spool --dead), which `deploy-ledger spool
--requeue' puts back.  Delivery is at least once.

  --deployment ID   only the spans of deployment ID
  --timeout D       the whole flush ends within D (a duration: 30s, 2m); the
                    items not reached stay in the spool
  --json            print the counts as JSON

Exit status: 0 when everything was accepted; 6 when something was left
(in the spool or the dead letters), or no endpoint is configured; 2 for
an OTEL_* setting that cannot be used (the message names it); 5 when the
ledger cannot be read.
")

(define (command-flush args)
  (with-command
   "flush" '((deployment value) (timeout value) (json flag)) flush-help args
   (lambda (o)
     (define cmd "deploy-ledger flush")
     (unless (null? (options-rest o))
       (usage-error "~a: unexpected argument \"~a\"" cmd (car (options-rest o))))
     (let ((timeout (option o 'timeout)))
       (when timeout
         (guard (e ((deploy-ledger-error? e)
                    (usage-error "~a: --timeout: ~a" cmd (deploy-ledger-error-message e))))
           (duration->ns timeout)))
       (call-with-ledger-of
        o (lambda (l)
            (if (not (otlp-endpoint-configured?))
                (begin
                  (format (current-error-port) "deploy-ledger: flush: no OTLP endpoint is \
configured (set OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); the spans \
stay in the spool~%")
                  %exit-export)
                (let ((counts (flush-spool (make-otlp-exporter) l
                                           #:deployment (option o 'deployment)
                                           #:timeout timeout)))
                  (when (option o 'json)
                    (print-json counts))
                  (report-flush counts l)))))))))

;;; spool

(define spool-help "\
Usage: deploy-ledger spool [--dead] [--json]
       deploy-ledger spool --requeue [ITEM...]
       deploy-ledger spool --purge [ITEM...]
List the spans waiting in the export spool (ATTEMPTS: requests sent so
far; LAST ERROR: why the last one failed), or with --dead the dead
letters: items a collector refused for good (HTTP 400, 401, ...; gRPC
INVALID_ARGUMENT, UNAUTHENTICATED, ...), with its status, the attempts
they cost and its answer.  Endpoints are shown without user information.

  --dead            list the dead letters
  --requeue [ITEM]  move dead letters (all, or the ITEMs listed) back to the
                    spool, for `deploy-ledger flush' once the cause is fixed
                    (an expired key, a wrong endpoint or protocol)
  --purge [ITEM]    delete dead letters (all, or the ITEMs listed) for good,
                    printing each one deleted; pending spans are never deleted
  --json            print the list as JSON

An ITEM that is not a dead letter is an error (exit 3) and nothing is
changed.
")

(define (status-text e)
  "The refusal of dead letter E: its gRPC status, or its HTTP status."
  (let ((grpc (assq-ref e 'grpc-status)))
    (if grpc (format #f "grpc:~a" grpc) (assq-ref e 'http-status))))

(define (print-entries entries dead?)
  "The table of spool ENTRIES, or of dead letters with DEAD?."
  (format #t "~6a ~36a ~5a ~7a ~8a ~a~a~%" "ITEM" "DEPLOYMENT" "SPANS" "BYTES" "ATTEMPTS"
          (if dead? (format #f "~7a " "STATUS") "") (if dead? "REASON" "LAST ERROR"))
  (for-each
   (lambda (e)
     (define (ref k) (assq-ref e k))
     (format #t "~6a ~36a ~5a ~7a ~8a ~a~a~%" (ref 'id) (ref 'deployment-id) (ref 'spans)
             (ref 'bytes) (ref 'attempts)
             (if dead? (format #f "~7a " (status-text e)) "")
             (or (if dead? (ref 'reason) (ref 'last-error)) "-")))
   entries))

(define (item-ids command rest)
  "The ITEM arguments REST as dead-letter ids; a usage error naming
COMMAND for anything that is not one."
  (map (lambda (text)
         (let ((n (string->number text)))
           (unless (and n (exact-integer? n) (positive? n))
             (usage-error "~a: ITEM must be an item number as `deploy-ledger spool --dead' \
lists it, got \"~a\"" command text))
           n))
       rest))

(define (requeue command ledger ids)
  "Move the dead letters IDS (all when empty) of LEDGER back to the spool."
  (let ((moved (requeue-dead-letters ledger ids)))
    (format #t "requeued ~a dead letter~:p: `deploy-ledger flush' sends ~a~%" moved
            (if (= moved 1) "it" "them"))
    %exit-ok))

(define (purge command ledger ids)
  "Delete the dead letters IDS (all when empty) of LEDGER, saying which."
  (let* ((dead (spool-entries ledger #:dead? #t))
         (doomed (if (null? ids) dead
                     (filter (lambda (e) (memv (assq-ref e 'id) ids)) dead)))
         (deleted (purge-dead-letters ledger ids)))
    (for-each (lambda (e)
                (format #t "deleted dead letter ~a: ~a span~:p of deployment ~a, refused with ~a \
(~a)~%"
                        (assq-ref e 'id) (assq-ref e 'spans) (assq-ref e 'deployment-id)
                        (status-text e) (or (assq-ref e 'reason) "no reason")))
              doomed)
    (format #t "purged ~a dead letter~:p~%" deleted)
    %exit-ok))

(define (command-spool args)
  (define cmd "deploy-ledger spool")
  (with-command
   "spool" '((dead flag) (json flag) (requeue flag) (purge flag)) spool-help args
   (lambda (o)
     (let ((dead? (option o 'dead))
           (requeue? (option o 'requeue))
           (purge? (option o 'purge)))
       (when (> (count identity (list dead? requeue? purge?)) 1)
         (usage-error "~a: give one of --dead, --requeue and --purge" cmd))
       (when (and (pair? (options-rest o)) (not (or requeue? purge?)))
         (usage-error "~a: unexpected argument \"~a\" (ITEMs go with --requeue or --purge)"
                      cmd (car (options-rest o))))
       (cond
        ((or requeue? purge?)
         (let ((ids (item-ids cmd (options-rest o))))
           (call-with-ledger-of o (lambda (l) ((if requeue? requeue purge) cmd l ids)))))
        (else
         (let* ((entries (call-with-ledger-of o (lambda (l) (spool-entries l #:dead? dead?))))
                (n-dead (if dead? 0
                            (length (call-with-ledger-of
                                     o (lambda (l) (spool-entries l #:dead? #t)))))))
           (if (option o 'json)
               (print-json (list->vector entries))
               (begin
                 (print-entries entries dead?)
                 (unless (zero? n-dead)
                   (format (current-error-port) "deploy-ledger: and ~a dead letter~:p, refused \
for good: deploy-ledger spool --dead~%" n-dead)))))))))))
