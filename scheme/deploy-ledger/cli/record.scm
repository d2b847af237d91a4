;;; The subcommands of `deploy-ledger' that record: start, finish, stage.
;;; With an OTLP endpoint in the environment (or --export), each event's
;;; spans go to the spool in the event's own transaction; --export also
;;; sends them at once, and they stay spooled if that fails.
(define-module (deploy-ledger cli record)
  #:use-module (srfi srfi-1)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger export)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:use-module (deploy-ledger cli export)
  #:export (command-start
            command-finish
            command-stage))

(define (parse-attribute command text)
  "TEXT, an --attr value KEY=VALUE, as a pair; a usage error otherwise."
  (let ((eq (string-index text #\=)))
    (unless (and eq (> eq 0))
      (usage-error "~a: malformed --attr \"~a\" (expected KEY=VALUE)" command text))
    (cons (substring text 0 eq) (substring text (+ eq 1)))))

(define (current-actor)
  "Who deploys, by default: from the environment of the CI system or the shell."
  (or (getenv "DEPLOY_LEDGER_ACTOR") (getenv "GITHUB_ACTOR") (getenv "GITLAB_USER_LOGIN")
      (getenv "USER")))

(define (exporter-for options)
  "An OTLP exporter when --export is given or an endpoint is configured;
#f otherwise (then nothing is spooled)."
  (and (or (option options 'export) (otlp-endpoint-configured?))
       (make-otlp-exporter)))

(define (maybe-export options exporter ledger id)
  "With --export, send the spool of deployment ID now and return the
exit status it deserves; otherwise leave it for `deploy-ledger flush'."
  (if (and exporter (option options 'export))
      (report-export (flush-spool exporter ledger #:deployment id))
      %exit-ok))

(define (history-entry at kind status actor reason key)
  "A history entry, shaped as the ledger returns them, for an event not
yet written: the span to spool must already show it."
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
