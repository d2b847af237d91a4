;;; The export subcommands of `deploy-ledger': flush and spool.
(define-module (deploy-ledger cli export)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger export)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:export (command-flush
            command-spool
            report-export))

(define (last-refusal ledger)
  "The reason of the dead letter of LEDGER refused last: the request, the
collector's status and the start of its answer."
  (let* ((dead (spool-entries ledger #:dead? #t))
         (newest (and (pair? dead)
                      (fold (lambda (e best) (if (> (assq-ref e 'failed) (assq-ref best 'failed))
                                                 e best))
                            (car dead) (cdr dead)))))
    (or (and newest (assq-ref newest 'reason)) "refused")))

(define (report-export counts ledger)
  "Say on stderr what a flush of LEDGER did (quoting the collector when it
refused an item for good); return the exit status it deserves."
  (let ((later (assq-ref counts 'retry-later))
        (dead (assq-ref counts 'dead-lettered)))
    (format (current-error-port) "deploy-ledger: exported ~a span~:p~a~a~%"
            (assq-ref counts 'spans)
            (if (zero? later)
                ""
                (format #f "; ~a item(s) not accepted, kept in the spool (see deploy-ledger spool)"
                        later))
            (if (zero? dead)
                ""
                (format #f "; ~a item(s) refused for good (~a), moved to the dead letters (see deploy-ledger spool --dead)"
                        dead (last-refusal ledger))))
    (if (zero? (+ later dead)) %exit-ok %exit-export)))

(define flush-help "\
Usage: deploy-ledger flush [--deployment ID] [--json]
Send the spans waiting in the ledger's export spool to the OTLP endpoint
(OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and the
other OTEL_EXPORTER_OTLP_* settings).  Accepted items leave the spool;
those a down or busy collector did not take stay for the next flush; those
it refused for good go to the dead letters.  Delivery is at least once.
Exit status 6 when something is left.
")

(define (command-flush args)
  (with-command
   "flush" '((deployment value) (json flag)) flush-help args
   (lambda (o)
     (call-with-ledger-of
      o (lambda (l)
          (let ((counts (flush-spool (make-otlp-exporter) l
                                     #:deployment (option o 'deployment))))
            (when (option o 'json)
              (print-json counts))
            (report-export counts l)))))))

(define spool-help "\
Usage: deploy-ledger spool [--dead] [--json]
List the spans waiting in the export spool, or with --dead the dead
letters: items a collector refused for good, with its status and answer.
")

(define (command-spool args)
  (with-command
   "spool" '((dead flag) (json flag)) spool-help args
   (lambda (o)
     (let* ((dead? (option o 'dead))
            (entries (call-with-ledger-of o (lambda (l) (spool-entries l #:dead? dead?)))))
       (if (option o 'json)
           (print-json (list->vector entries))
           (begin
             (format #t "~6a ~36a ~5a ~7a ~8a ~a~%" "ITEM" "DEPLOYMENT" "SPANS" "BYTES"
                     (if dead? "STATUS" "ATTEMPTS") (if dead? "REASON" "LAST ERROR"))
             (for-each
              (lambda (e)
                (define (ref k) (assq-ref e k))
                (format #t "~6a ~36a ~5a ~7a ~8a ~a~%" (ref 'id) (ref 'deployment-id) (ref 'spans)
                        (ref 'bytes)
                        (if dead? (ref 'http-status) (ref 'attempts))
                        (or (if dead? (ref 'reason) (ref 'last-error)) "-")))
              entries)))))))
