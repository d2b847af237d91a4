;;; The ledger subcommands of `deploy-ledger'.
(define-module (deploy-ledger cli ledger)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger json)
  #:use-module (deploy-ledger export)
  #:use-module (deploy-ledger cli options)
  #:export (command-start
            command-finish
            command-stage
            command-status
            command-list
            command-show
            command-history
            command-dora
            with-command
            time-option
            call-with-ledger-of
            print-json
            report-export))

;;; Shared helpers

(define (with-command name spec help args proc)
  "Parse ARGS by SPEC for command NAME; print HELP for --help; otherwise
call PROC with the options and return its exit status (0 when it returns
anything else)."
  (let ((options (parse-options (string-append "deploy-ledger " name)
                                (append spec '((help flag) (db value)))
                                args)))
    (if (option options 'help)
        (begin (display help) %exit-ok)
        (let ((status (proc options)))
          (if (integer? status) status %exit-ok)))))

(define (open-from options)
  (open-ledger (option options 'db)))

(define (call-with-ledger-of options proc)
  (call-with-ledger proc (option options 'db)))

(define (time-option options name)
  "Option NAME as nanoseconds from RFC 3339, or #f."
  (let ((text (option options name)))
    (and text (rfc3339->ns text))))

(define (since-option options name)
  "Option NAME as a point in time: a duration back from now (\"7d\") or
RFC 3339; #f when absent."
  (let ((text (option options name)))
    (and text
         (if (and (> (string-length text) 0) (char-numeric? (string-ref text 0))
                  (not (string-index text #\-)))
             (- (current-time-ns) (duration->ns text))
             (rfc3339->ns text)))))

(define (one-id command options)
  (let ((rest (options-rest options)))
    (unless (= 1 (length rest))
      (usage-error "~a: expected one deployment ID, got ~a" command (length rest)))
    (car rest)))

(define (required command options name)
  (or (option options name)
      (usage-error "~a: --~a is required" command name)))

(define (symbol-option command options name allowed default)
  (let ((text (option options name)))
    (cond ((not text) default)
          ((memq (string->symbol text) allowed) (string->symbol text))
          (else (usage-error "~a: unknown --~a \"~a\" (expected one of: ~a)" command name text
                             (string-join (map symbol->string allowed) ", "))))))

(define (parse-attribute command text)
  (let ((eq (string-index text #\=)))
    (unless (and eq (> eq 0))
      (usage-error "~a: malformed --attr \"~a\" (expected KEY=VALUE)" command text))
    (cons (substring text 0 eq) (substring text (+ eq 1)))))

(define (current-actor)
  (or (getenv "DEPLOY_LEDGER_ACTOR") (getenv "GITHUB_ACTOR") (getenv "GITLAB_USER_LOGIN")
      (getenv "USER")))

(define (time-text ns)
  (if ns (ns->rfc3339 ns) "-"))

(define (deployment->json d)
  (let ((a (deployment-event->alist d)))
    (map (lambda (pair)
           (case (car pair)
             ((attributes) (cons 'attributes (alist->hash (cdr pair))))
             ((regions) (cons 'regions (list->vector (cdr pair))))
             (else pair)))
         a)))

(define (alist->hash alist)
  (let ((h (make-hash-table)))
    (for-each (lambda (kv) (hash-set! h (car kv) (cdr kv))) alist)
    h))

(define (times->rfc3339 alist keys)
  "ALIST with the nanosecond values of KEYS as RFC 3339 text."
  (map (lambda (kv)
         (if (and (memq (car kv) keys) (cdr kv)) (cons (car kv) (ns->rfc3339 (cdr kv))) kv))
       alist))

(define (print-json value)
  (write-json value)
  (newline))

;;; Export: with an OTLP endpoint in the environment (or --export), each
;;; event's spans go to the spool in the event's own transaction; --export
;;; also sends them at once, and they stay spooled if that fails.

(define (exporter-for options)
  (and (or (option options 'export) (otlp-endpoint-configured?))
       (make-otlp-exporter)))

(define (last-refusal ledger)
  "The collector's words on the dead letter of LEDGER refused last: its
message and answer (escaped where not UTF-8)."
  (let* ((dead (spool-entries ledger #:dead? #t))
         (newest (and (pair? dead)
                      (fold (lambda (e best) (if (> (assq-ref e 'failed) (assq-ref best 'failed))
                                                 e best))
                            (car dead) (cdr dead)))))
    (if newest
        (let ((body (assq-ref newest 'response-body)))
          (format #f "~a~a" (or (assq-ref newest 'reason) "refused")
                  (if (and body (not (string-null? body))) (string-append ": " body) "")))
        "refused")))

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

(define (maybe-export options exporter ledger id)
  (if (and exporter (option options 'export))
      (report-export (flush-spool exporter ledger #:deployment id) ledger)
      %exit-ok))

(define (history-entry at kind status actor reason key)
  `((seq . 0) (at . ,at) (kind . ,kind) (status . ,status) (actor . ,actor)
    (reason . ,reason) (key . ,key) (value . #f)))

;;; start

(define (with-pipeline-run attrs)
  "ATTRS with cicd.pipeline.run.id from the CI system's environment (GitHub
Actions, GitLab CI, Jenkins, Buildkite), unless given already."
  (let ((run (or (getenv "GITHUB_RUN_ID") (getenv "CI_PIPELINE_ID") (getenv "BUILD_ID")
                 (getenv "BUILDKITE_BUILD_ID"))))
    (if (and run (not (assoc "cicd.pipeline.run.id" attrs)))
        (append attrs (list (cons "cicd.pipeline.run.id" run)))
        attrs)))

(define start-help "\
Usage: deploy-ledger start --service S --version V [OPTIONS]
Record a deployment and print its id.

  --service S            the service deployed (required)
  --version V            the version deployed (required)
  --previous-version V   the version it replaces
  --environment E        default: production
  --type T               rolling (default), canary, blue-green, recreate, shadow
  --region R             a region it goes to; repeat for several
  --commit SHA           the commit deployed
  --commit-time T        when that commit was made (RFC 3339), for lead time
  --attr KEY=VALUE       a free attribute; repeat for several
  --actor NAME           who deploys (default: $DEPLOY_LEDGER_ACTOR, $GITHUB_ACTOR, $USER)
  --status S             in-progress (default) or pending
  --at T                 when it started (RFC 3339), to import earlier deployments
  --print-traceparent    print the deployment's traceparent instead of its id
  --export-env           print DEPLOYMENT_ID=, TRACEPARENT= (and TRACESTATE=) lines
                         to append to a CI environment file such as $GITHUB_ENV
  --export               send its start span to the OTLP endpoint at once
  --json                 print the deployment as JSON
  --db FILE              the ledger file

With an OTLP endpoint in the environment (OTEL_EXPORTER_OTLP_ENDPOINT...),
its spans are spooled in the ledger and sent by --export or by
`deploy-ledger flush'.  A TRACEPARENT in the environment (the CI pipeline's trace) makes the
deployment's span a child of it.
")

(define (command-start args)
  (define cmd "deploy-ledger start")
  (with-command
   "start"
   '((service value) (version value) (previous-version value) (environment value)
     (type value) (region multi) (commit value) (commit-time value) (attr multi)
     (actor value) (status value) (at value) (print-traceparent flag) (export-env flag)
     (export flag) (json flag))
   start-help args
   (lambda (o)
     (unless (null? (options-rest o))
       (usage-error "~a: unexpected argument \"~a\"" cmd (car (options-rest o))))
     (let* ((attrs (with-pipeline-run
                    (map (lambda (t) (parse-attribute cmd t)) (option o 'attr '()))))
            (type (symbol-option cmd o 'type deployment-types 'rolling))
            (status (symbol-option cmd o 'status '(pending in-progress) 'in-progress))
            (service (required cmd o 'service))
            (version (required cmd o 'version))
            (started (or (time-option o 'at) (current-time-ns)))
            (commit-time (time-option o 'commit-time))
            (event (make-deployment-event
                    #:service-name service #:version version
                    #:previous-version (option o 'previous-version)
                    #:deployment-type type
                    #:environment (option o 'environment "production")
                    #:regions (option o 'region '())
                    #:status status #:started started
                    #:actor (or (option o 'actor) (current-actor))
                    #:commit (option o 'commit) #:commit-time commit-time
                    #:attributes attrs
                    #:parent (trace-context-from-environment)))
            (exporter (exporter-for o))
            (spool (if exporter
                       (list (deployment-span-payload exporter event #:part 'start))
                       '()))
            (exported %exit-ok)
            (recorded (call-with-ledger-of
                       o (lambda (l)
                           (let ((r (record-deployment! l event #:spool spool)))
                             (set! exported (maybe-export o exporter l (deployment-event-id r)))
                             r))))
            (ctx (deployment-event-trace-context recorded)))
       (cond ((option o 'json) (print-json (deployment->json recorded)))
             ((option o 'export-env)
              (format #t "DEPLOYMENT_ID=~a~%~a" (deployment-event-id recorded)
                      (trace-context->environment ctx)))
             ((option o 'print-traceparent)
              (format #t "~a~%" (trace-context->traceparent ctx)))
             (else (format #t "~a~%" (deployment-event-id recorded))))
       exported))))

;;; finish

(define finish-help "\
Usage: deploy-ledger finish ID --status succeeded|failed|rolled-back [OPTIONS]
Record how deployment ID (full or a unique prefix) ended.

  --status S      succeeded, failed or rolled-back (required)
  --reason TEXT   why
  --at T          when (RFC 3339; default now)
  --actor NAME    who
  --link TP       a traceparent the deployment affected or that ran it,
                  linked from its span; repeat for several
  --export        send the deployment span to the OTLP endpoint at once
  --json          print the deployment as JSON
  --db FILE       the ledger file
")

(define (command-finish args)
  (define cmd "deploy-ledger finish")
  (with-command
   "finish" '((status value) (reason value) (at value) (actor value) (link multi) (export flag)
              (json flag))
   finish-help args
   (lambda (o)
     (let* ((id (one-id cmd o))
            (status (symbol-option cmd o 'status '(succeeded failed rolled-back) #f))
            (_ (unless status (usage-error "~a: --status is required" cmd)))
            (at (or (time-option o 'at) (current-time-ns)))
            (actor (or (option o 'actor) (current-actor)))
            (links (map traceparent->trace-context (option o 'link '())))
            (exporter (exporter-for o))
            (exported %exit-ok)
            (updated
             (call-with-ledger-of
              o (lambda (l)
                  (let* ((d (find-or-fail l id))
                         ;; The span of the deployment as it will be once finished.
                         (spool (if exporter
                                    (let ((done (update-deployment-event
                                                 d #:status status
                                                 #:completed (or (deployment-event-completed d) at)))
                                          (history (append (deployment-history l d)
                                                           (list (history-entry at 'status status actor
                                                                                (option o 'reason) #f)))))
                                      (list (deployment-span-payload exporter done #:history history
                                                                     #:links links)))
                                    '()))
                         (u (update-deployment-status! l d status #:at at #:actor actor
                                                       #:reason (option o 'reason) #:spool spool)))
                    (set! exported (maybe-export o exporter l (deployment-event-id u)))
                    u)))))
       (if (option o 'json)
           (print-json (deployment->json updated))
           (format #t "~a ~a~%" (deployment-event-id updated)
                   (deployment-event-status updated)))
       exported))))

;;; stage

(define stage-help "\
Usage: deploy-ledger stage ID --name REGION-OR-STAGE --status S [--at T] [--export]
Record that a region or stage of deployment ID reached status S
(in-progress, succeeded, failed, rolled-back).  When it completes, its
child span is spooled for export (sent at once with --export).
")

(define (command-stage args)
  (define cmd "deploy-ledger stage")
  (with-command
   "stage" '((name value) (region value) (status value) (at value) (export flag)) stage-help args
   (lambda (o)
     (let ((id (one-id cmd o))
           (name (or (option o 'name) (option o 'region)
                     (usage-error "~a: --name (or --region) is required" cmd)))
           (status (or (symbol-option cmd o 'status deployment-statuses #f)
                       (usage-error "~a: --status is required" cmd)))
           (at (or (time-option o 'at) (current-time-ns)))
           (exporter (exporter-for o)))
       (call-with-ledger-of
        o (lambda (l)
            (let* ((d (find-or-fail l id))
                   ;; A region or stage becomes a child span when it completes.
                   (spool (if (and exporter (memq status '(succeeded failed rolled-back)))
                              (list (deployment-span-payload
                                     exporter d #:part 'stage #:stage name
                                     #:history (append (deployment-history l d)
                                                       (list (history-entry at 'stage status
                                                                            #f #f name)))))
                              '())))
              (record-stage! l d name status #:at at #:spool spool)
              (maybe-export o exporter l (deployment-event-id d)))))))))

;;; status, show

(define status-help "\
Usage: deploy-ledger status ID [--json]
Print the current status of deployment ID (full or a unique prefix).
")

(define (find-or-fail ledger id)
  (or (find-deployment ledger id)
      (raise-deploy-ledger-error 'not-found 'deploy-ledger
                                 (format #f "no deployment with id \"~a\"" id))))

(define (command-status args)
  (with-command
   "status" '((json flag)) status-help args
   (lambda (o)
     (let ((d (call-with-ledger-of
               o (lambda (l) (find-or-fail l (one-id "deploy-ledger status" o))))))
       (if (option o 'json)
           (print-json `((id . ,(deployment-event-id d))
                         (status . ,(deployment-event-status d))))
           (format #t "~a~%" (deployment-event-status d)))))))

(define show-help "\
Usage: deploy-ledger show ID [--json]
Show deployment ID (full or a unique prefix) as it is now.
")

(define (command-show args)
  (with-command
   "show" '((json flag)) show-help args
   (lambda (o)
     (let ((d (call-with-ledger-of
               o (lambda (l) (find-or-fail l (one-id "deploy-ledger show" o))))))
       (if (option o 'json)
           (print-json (deployment->json d))
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
                     (deployment-event->alist d)))))))

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
  --db FILE         the ledger file
")

(define (positive-integer cmd name text)
  (let ((n (and text (string->number text))))
    (unless (and n (exact-integer? n) (> n 0))
      (usage-error "~a: --~a must be a positive integer, got \"~a\"" cmd name text))
    n))

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
    (traceparent . ,(string-append "00-" (ref 'trace-id) "-" (ref 'span-id) "-"
                                   (if (< (ref 'flags) 16) "0" "")
                                   (number->string (ref 'flags) 16)))))

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

;;; dora

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
