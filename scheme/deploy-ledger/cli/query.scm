;;; The subcommands of `deploy-ledger' that read the ledger: status,
;;; show, list and history.
(define-module (deploy-ledger cli query)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:export (command-status
            command-show
            command-list
            command-history))

;;; status, show

(define status-help "\
Usage: deploy-ledger status ID [--json]
Print the current status of deployment ID (full or a unique prefix).
")

(define (one-deployment-command name help args ->json print-text)
  "Run subcommand NAME, which shows the one deployment its argument names
(full id or a unique prefix): as JSON (the value ->JSON makes of it) with
--json, else by PRINT-TEXT."
  (with-command
   name '((json flag)) help args
   (lambda (o)
     (let ((d (call-with-ledger-of
               o (lambda (l) (find-or-fail l (one-id (string-append "deploy-ledger " name) o))))))
       (if (option o 'json)
           (print-json (->json d))
           (print-text d))))))

(define (command-status args)
  (one-deployment-command
   "status" status-help args
   (lambda (d) `((id . ,(deployment-event-id d)) (status . ,(deployment-event-status d))))
   (lambda (d) (format #t "~a~%" (deployment-event-status d)))))

(define show-help "\
Usage: deploy-ledger show ID [--json]
Show deployment ID (full or a unique prefix) as it is now.
")

(define (command-show args)
  (one-deployment-command
   "show" show-help args deployment->json
   (lambda (d)
     (for-each (lambda (pair)
                 (let ((v (cdr pair)))
                   (format #t "~18a ~a~%" (format #f "~a:" (car pair))
                           (cond ((not v) "-")
                                 ((null? v) "-")
                                 ((and (pair? v) (pair? (car v)))
                                  (string-join (map (lambda (kv)
                                                      (string-append (car kv) "=" (cdr kv)))
                                                    v)
                                               " "))
                                 ((pair? v) (string-join v " "))
                                 (else v)))))
               (deployment-event->alist d)))))

;;; list

(define list-help "\
Usage: deploy-ledger list [OPTIONS]
List deployments, newest first: every matching one unless --limit.

  --service S       only this service
  --environment E   only this environment
  --status S        only deployments now in status S
  --since T         started since T: a duration back from now (7d, 12h) or RFC 3339
  --until T         started before T (RFC 3339)
  --latest          only the newest deployment of each service and environment
  --limit N         at most N
  --json            a JSON array of deployment objects
  --db FILE         the ledger file or PostgreSQL URL
")

(define (command-list args)
  (define cmd "deploy-ledger list")
  (with-command
   "list" '((service value) (environment value) (status value) (since value) (until value)
            (latest flag) (limit value) (json flag))
   list-help args
   (lambda (o)
     (let* ((status (symbol-option cmd o 'status deployment-statuses #f))
            (limit (and (option o 'limit) (positive-integer cmd 'limit (option o 'limit))))
            (query (lambda (primitive)
                     (call-with-ledger-of
                      o (lambda (l)
                          (primitive l (option o 'service) (option o 'environment)
                                     (and status (symbol->string status))
                                     (since-option o 'since) (time-option o 'until)
                                     limit (option o 'latest)))))))
       ;; Straight from the C rows: a table of thousands needs no records.
       (if (option o 'json)
           (print-json (list->vector (map row->json (query %ledger-query))))
           (display (query %ledger-table)))))))

(define (row->json row)
  (define (ref k) (assq-ref row k))
  (define (time k) (and (ref k) (ns->rfc3339 (ref k))))
  `((id . ,(ref 'id)) (service . ,(ref 'service)) (version . ,(ref 'version))
    (previous-version . ,(ref 'previous-version)) (type . ,(ref 'type))
    (environment . ,(ref 'environment)) (regions . ,(list->vector (ref 'regions)))
    (status . ,(ref 'status)) (started . ,(time 'started)) (completed . ,(time 'completed))
    (actor . ,(ref 'actor)) (commit . ,(ref 'commit)) (commit-time . ,(time 'commit-time))
    (attributes . ,(alist->hash (ref 'attributes)))
    (trace-id . ,(ref 'trace-id)) (span-id . ,(ref 'span-id))
    (traceparent . ,(trace-context->traceparent
                     (make-trace-context #:trace-id (ref 'trace-id) #:span-id (ref 'span-id)
                                         #:flags (ref 'flags))))))

;;; history

(define history-help "\
Usage: deploy-ledger history ID [--json]
The history of deployment ID, oldest first: creation, status transitions
(with actor and reason), attribute changes and region or stage events.
")

(define (command-history args)
  (with-command
   "history" '((json flag)) history-help args
   (lambda (o)
     (let ((entries (call-with-ledger-of
                     o (lambda (l)
                         (let ((d (find-or-fail l (one-id "deploy-ledger history" o))))
                           (deployment-history l d))))))
       (if (option o 'json)
           (print-json (list->vector (map (lambda (e) (times->rfc3339 e '(at))) entries)))
           (for-each (lambda (e)
                       (define (ref k) (assq-ref e k))
                       (format #t "~a  ~10a ~12a~a~a~a~%"
                               (ns->rfc3339 (ref 'at)) (ref 'kind) (or (ref 'status) "")
                               (if (ref 'key)
                                   (if (ref 'value)
                                       (format #f " ~a=~a" (ref 'key) (ref 'value))
                                       (format #f " ~a" (ref 'key)))
                                   "")
                               (if (ref 'actor) (format #f " by ~a" (ref 'actor)) "")
                               (if (ref 'reason) (format #f ": ~a" (ref 'reason)) "")))
                     entries))))))
