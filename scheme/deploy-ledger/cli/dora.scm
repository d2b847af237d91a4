;;; `deploy-ledger dora': the DORA figures of the ledger.
(define-module (deploy-ledger cli dora)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:export (command-dora))

(define dora-help "\
Usage: deploy-ledger dora [--service S] [--environment E] [--since T] [--json]
DORA figures per service and environment since T (a duration back from now
such as 30d, or RFC 3339; default 30d): deployments and deployments per day,
change failure rate (failed or rolled back over finished), median time to
restore (a failure to the next success) and median lead time for changes
(commit to success, where --commit-time was recorded).
")

(define (hours ns)
  (and ns (/ (round (/ ns 36000000000.)) 100.)))

(define (command-dora args)
  (with-command
   "dora" '((service value) (environment value) (since value) (json flag)) dora-help args
   (lambda (o)
     (let ((figures (call-with-ledger-of
                     o (lambda (l)
                         (dora-metrics l #:service (option o 'service)
                                       #:environment (option o 'environment)
                                       #:since (or (since-option o 'since)
                                                   (- (current-time-ns) (duration->ns "30d"))))))))
       (if (option o 'json)
           (print-json (list->vector
                        (map (lambda (f) (times->rfc3339 f '(since until))) figures)))
           (begin
             (format #t "~20a ~12a ~7a ~8a ~8a ~12a ~a~%" "SERVICE" "ENVIRONMENT" "DEPLOYS"
                     "PER DAY" "CFR" "RESTORE (h)" "LEAD (h)")
             (for-each
              (lambda (f)
                (define (ref k) (assq-ref f k))
                (format #t "~20a ~12a ~7a ~8a ~8a ~12a ~a~%" (ref 'service) (ref 'environment)
                        (ref 'deployments) (format #f "~,2f" (ref 'deployments-per-day))
                        (if (ref 'change-failure-rate)
                            (format #f "~,1f%" (* 100 (ref 'change-failure-rate)))
                            "-")
                        (or (hours (ref 'time-to-restore)) "-")
                        (or (hours (ref 'lead-time)) "-")))
              figures)))))))
