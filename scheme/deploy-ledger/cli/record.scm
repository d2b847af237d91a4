;;; The subcommands of `deploy-ledger' that record: start, begin, finish,
;;; stage, and what exec shares with start and finish.
;;; With an OTLP endpoint in the environment (or --export), each event's
;;; spans go to the spool in the event's own transaction; --export also
;;; sends them at once (one attempt, bounded), and they stay spooled if
;;; that fails: telemetry never fails or stalls a deployment.
(define-module (deploy-ledger cli record)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 exceptions)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core trace-context)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger export)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:use-module (deploy-ledger cli export)
  #:export (command-start
            command-begin
            command-finish
            command-stage
            start-options
            start-options-help
            start-deployment
            finish-deployment
            current-actor))

(define (current-actor)
  "Who deploys, by default: from the environment of the CI system or the shell."
  (or (getenv "DEPLOY_LEDGER_ACTOR") (getenv "GITHUB_ACTOR") (getenv "GITLAB_USER_LOGIN")
      (getenv "USER")))

(define (spool-of plan make-payload)
  "The spool payloads of an event: (MAKE-PAYLOAD exporter) when PLAN (see
@code{deploy-path-exporter}) has an exporter, none otherwise."
  (if plan (list (make-payload (car plan))) '()))

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

(define (error-text thunk)
  "The message of the deploy-ledger error THUNK raises, or #f when it
returns."
  (guard (e ((deploy-ledger-error? e) (deploy-ledger-error-message e)))
    (thunk)
    #f))

(define (pipeline-trace-context)
  "The CI pipeline's trace context from @env{TRACEPARENT} and
@env{TRACESTATE}, or #f without one.  A value that cannot be used is left
out with a warning saying why: a deployment is recorded whatever the
environment holds."
  (let ((tp (getenv "TRACEPARENT"))
        (ts (getenv "TRACESTATE")))
    (and tp
         (let ((ctx (trace-context-from-environment)))
           (cond ((not ctx)
                  (print-warning "TRACEPARENT ignored, the deployment starts a new trace: ~a"
                                 (or (error-text (lambda ()
                                                   (traceparent->trace-context
                                                    (string-trim-both tp char-set:blank))))
                                     "not a valid traceparent"))
                  #f)
                 (else
                  (when (and ts (not (string-null? (string-trim-both ts char-set:blank)))
                             (string-null? (trace-context-tracestate ctx)))
                    (print-warning "TRACESTATE ignored: ~a"
                                   (or (error-text (lambda () (%tracestate-normalize ts)))
                                       "not a valid tracestate list")))
                  ctx))))))

(define start-options
  (append '((service value) (version value) (previous-version value) (environment value)
            (type value) (region multi) (commit value) (commit-time value) (attr multi)
            (actor value))
          export-options))

(define (start-deployment cmd o)
  "Record the deployment that the start options O of command CMD describe,
with its start span spooled (and sent with --export).  Returns two values:
the deployment as recorded and the exit status its export deserves."
  (let* ((attrs (with-pipeline-run
                 (map (lambda (t) (key-value cmd 'attr t)) (option o 'attr '()))))
         (type (symbol-option cmd o 'type deployment-types 'rolling))
         (status (symbol-option cmd o 'status '(pending in-progress) 'in-progress))
         (service (required cmd o 'service))
         (version (required cmd o 'version))
         (environment (option o 'environment "production"))
         (started (or (time-option o 'at) (current-time-ns)))
         (commit-time (time-option o 'commit-time))
         (parent (pipeline-trace-context))
         (plan (deploy-path-exporter cmd o))
         (exported %exit-ok)
         (recorded
          (call-with-ledger-of
           o (lambda (l)
               (let* ((event (make-deployment-event
                              #:service-name service #:version version
                              #:previous-version
                              (or (option o 'previous-version)
                                  (last-succeeded-version l service environment
                                                          #:before started))
                              #:deployment-type type
                              #:environment environment
                              #:regions (option o 'region '())
                              #:status status #:started started
                              #:actor (or (option o 'actor) (current-actor))
                              #:commit (option o 'commit) #:commit-time commit-time
                              #:attributes attrs
                              #:parent parent))
                      (spool (spool-of plan (lambda (exporter)
                                              (deployment-span-payload exporter event
                                                                       #:part 'start))))
                      (r (record-deployment! l event #:spool spool)))
                 (set! exported (export-in-deploy-path o plan l (deployment-event-id r)))
                 r))
           #:create? #t)))
    (values recorded exported)))

(define (control-character? c)
  (or (char<? c #\space) (char=? c #\delete)))

(define (print-environment-lines pairs)
  "Print NAME=VALUE lines for PAIRS, as CI environment files take them.  A
value with a newline or another control character would let it write
lines of its own into the file: it is left out, with a warning."
  (for-each (lambda (pair)
              (if (string-any control-character? (cdr pair))
                  (print-warning "~a left out of the environment lines: its value contains a \
control character" (car pair))
                  (format #t "~a=~a~%" (car pair) (cdr pair))))
            pairs))

(define (environment-lines d as-parent?)
  "The variables that --export-env writes for deployment D: its id and its
context under names of its own, so that the next start in the same job
stays a child of the pipeline; with AS-PARENT?, its context as
TRACEPARENT and TRACESTATE too, so that later steps become its children."
  (let* ((ctx (deployment-event-trace-context d))
         (tp (trace-context->traceparent ctx))
         (ts (trace-context-tracestate ctx)))
    `(("DEPLOY_LEDGER_DEPLOYMENT_ID" . ,(deployment-event-id d))
      ("DEPLOY_LEDGER_TRACEPARENT" . ,tp)
      ,@(if (string-null? ts) '() `(("DEPLOY_LEDGER_TRACESTATE" . ,ts)))
      ,@(if as-parent?
            ;; TRACESTATE is written even when empty, so that it never
            ;; pairs with a TRACEPARENT it was not sent with.
            `(("TRACEPARENT" . ,tp) ("TRACESTATE" . ,ts))
            '()))))

(define start-options-help "\
  --service S            the service deployed (required)
  --version V            the version deployed (required)
  --previous-version V   the version it replaces (default: the last version
                         of the service that succeeded in the environment)
  --environment E        default: production
  --type T               rolling (default), canary, blue-green, recreate, shadow
  --region R             a region it goes to; repeat for several
  --commit SHA           the commit deployed
  --commit-time T        when that commit was made (RFC 3339), for lead time
  --attr KEY=VALUE       a free attribute; repeat for several
  --actor NAME           who deploys (default: $DEPLOY_LEDGER_ACTOR, $GITHUB_ACTOR, $USER)
")

(define start-help
  (string-append "\
Usage: deploy-ledger start --service S --version V [OPTIONS]
Record a deployment and print its id.

" start-options-help "\
  --status S             in-progress (default), or pending (then `deploy-ledger
                         begin' starts it)
  --at T                 when it started (RFC 3339), to import earlier deployments
  --print-traceparent    print the deployment's traceparent instead of its id
  --export-env           print DEPLOY_LEDGER_DEPLOYMENT_ID=, DEPLOY_LEDGER_TRACEPARENT=
                         (and DEPLOY_LEDGER_TRACESTATE=) lines to append to a CI
                         environment file such as $GITHUB_ENV; later finish, stage
                         and begin read the id from it
  --as-parent            with --export-env, also TRACEPARENT= and TRACESTATE=: later
                         steps of the job (and a next start) become children of
                         this deployment instead of the pipeline
" export-options-help "\
  --json                 print the deployment as JSON
  --db FILE              the ledger file or PostgreSQL URL (created when absent)

With an OTLP endpoint in the environment (OTEL_EXPORTER_OTLP_ENDPOINT...),
its spans are spooled in the ledger and sent by --export or by
`deploy-ledger flush'; an OTEL_* setting that cannot be used is ignored
with a warning, and the spans wait in the spool.  A TRACEPARENT in the environment (the CI
pipeline's trace, with its TRACESTATE) makes the deployment's span a child
of it; an invalid one is ignored with a warning.  Values with a newline or
another control character are never written by --export-env.
"))

(define (command-start args)
  (define cmd "deploy-ledger start")
  (with-command
   "start"
   (append start-options
           '((status value) (at value) (print-traceparent flag) (export-env flag)
             (as-parent flag) (json flag)))
   start-help args
   (lambda (o)
     (unless (null? (options-rest o))
       (usage-error "~a: unexpected argument \"~a\"" cmd (car (options-rest o))))
     (when (and (option o 'as-parent) (not (option o 'export-env)))
       (usage-error "~a: --as-parent goes with --export-env" cmd))
     (call-with-values (lambda () (start-deployment cmd o))
       (lambda (recorded exported)
         (cond ((option o 'json) (print-json (deployment->json recorded)))
               ((option o 'export-env)
                (print-environment-lines (environment-lines recorded (option o 'as-parent))))
               ((option o 'print-traceparent)
                (format #t "~a~%" (trace-context->traceparent
                                   (deployment-event-trace-context recorded))))
               (else (format #t "~a~%" (deployment-event-id recorded))))
         exported)))))

;;; begin

(define begin-help "\
Usage: deploy-ledger begin [ID] [OPTIONS]
Move deployment ID (full or a unique prefix; default:
$DEPLOY_LEDGER_DEPLOYMENT_ID), recorded by `deploy-ledger start --status
pending', from pending to in-progress.  Any other status is an invalid
transition (exit 4).

  --at T          when (RFC 3339; default now)
  --actor NAME    who
  --reason TEXT   why now
  --json          print the deployment as JSON
  --db FILE       the ledger file or PostgreSQL URL
")

(define (command-begin args)
  (define cmd "deploy-ledger begin")
  (with-command
   "begin" '((at value) (actor value) (reason value) (json flag)) begin-help args
   (lambda (o)
     (let* ((id (id-or-environment cmd o))
            (updated (call-with-ledger-of
                      o (lambda (l)
                          (update-deployment-status!
                           l (deployment-event-id (find-or-fail l id)) 'in-progress
                           #:at (or (time-option o 'at) (current-time-ns))
                           #:actor (or (option o 'actor) (current-actor))
                           #:reason (option o 'reason))))))
       (if (option o 'json)
           (print-json (deployment->json updated))
           (format #t "~a ~a~%" (deployment-event-id updated)
                   (deployment-event-status updated)))))))

;;; finish

(define finish-help (string-append "\
Usage: deploy-ledger finish [ID] --status succeeded|failed|rolled-back [OPTIONS]
Record how deployment ID (full or a unique prefix; default:
$DEPLOY_LEDGER_DEPLOYMENT_ID) ended.

  --status S      succeeded, failed or rolled-back (required)
  --reason TEXT   why
  --at T          when (RFC 3339; default now)
  --actor NAME    who
  --link TP       a traceparent the deployment affected or that ran it,
                  linked from its span; repeat for several
  --json          print the deployment as JSON
  --db FILE       the ledger file or PostgreSQL URL
" export-options-help))

(define* (finish-deployment o id status #:key at actor reason (links '()))
  "Move deployment ID of the ledger of options O to the final STATUS at AT
(now by default), with its deployment span spooled (and sent when O has
--export).  Returns two values: the deployment as it is now and the exit
status its export deserves."
  (let ((at (or at (current-time-ns)))
        (plan (deploy-path-exporter "deploy-ledger finish" o))
        (exported %exit-ok))
    (let ((updated
           (call-with-ledger-of
            o (lambda (l)
                (let* ((d (find-or-fail l id))
                       ;; The span of the deployment as it will be once finished.
                       (spool (spool-of
                               plan
                               (lambda (exporter)
                                 (let ((done (update-deployment-event
                                              d #:status status
                                              #:completed (or (deployment-event-completed d) at)))
                                       (history (append (deployment-history l d)
                                                        (list (history-entry at 'status status
                                                                             actor reason #f)))))
                                   (deployment-span-payload exporter done #:history history
                                                            #:links links)))))
                       (u (update-deployment-status! l d status #:at at #:actor actor
                                                     #:reason reason #:spool spool)))
                  (set! exported (export-in-deploy-path o plan l (deployment-event-id u)))
                  u)))))
      (values updated exported))))

(define (command-finish args)
  (define cmd "deploy-ledger finish")
  (with-command
   "finish" (append '((status value) (reason value) (at value) (actor value) (link multi)
                      (json flag))
                    export-options)
   finish-help args
   (lambda (o)
     (let* ((id (id-or-environment cmd o))
            (status (symbol-option cmd o 'status '(succeeded failed rolled-back) #f))
            (_ (unless status (usage-error "~a: --status is required" cmd)))
            (links (map traceparent->trace-context (option o 'link '()))))
       (call-with-values
           (lambda ()
             (finish-deployment o id status #:at (time-option o 'at)
                                #:actor (or (option o 'actor) (current-actor))
                                #:reason (option o 'reason) #:links links))
         (lambda (updated exported)
           (if (option o 'json)
               (print-json (deployment->json updated))
               (format #t "~a ~a~%" (deployment-event-id updated)
                       (deployment-event-status updated)))
           exported))))))

;;; stage

(define stage-help (string-append "\
Usage: deploy-ledger stage [ID] --name NAME --status S [OPTIONS]
Record that a region or stage of deployment ID (full or a unique prefix;
default: $DEPLOY_LEDGER_DEPLOYMENT_ID) reached status S.

  --name NAME     the region or stage (required); a name that is not one of
                  the deployment's regions (start --region) is a stage, with
                  a warning when the deployment has regions
  --region R      the same as --name, for a region
  --status S      pending, in-progress, succeeded, failed or rolled-back
                  (required)
  --at T          when (RFC 3339; default now)
  --db FILE       the ledger file or PostgreSQL URL
" export-options-help "\

Each region or stage follows the lifecycle of a deployment: its first
event may have any status; after that pending may start or end,
in-progress may end (succeeded, failed, rolled-back), and succeeded or
failed may still be rolled back.  Anything else, and any stage once the
deployment is finished, is an invalid transition (exit 4).  When a region
or stage completes, its child span is spooled for export.
"))

(define (warn-unless-region cmd o d name)
  "Warn when NAME, given by --region or for deployment D that has
regions, is not one of D's regions: most likely a typo."
  (let ((regions (deployment-event-regions d)))
    (when (and (or (option o 'region) (pair? regions))
               (not (member name regions)))
      (print-warning "~a: ~a is not one of the regions of deployment ~a (~a); recorded as a stage"
                     cmd name (deployment-event-id d)
                     (if (null? regions) "it has none" (string-join regions ", "))))))

(define (command-stage args)
  (define cmd "deploy-ledger stage")
  (with-command
   "stage" (append '((name value) (region value) (status value) (at value)) export-options)
   stage-help args
   (lambda (o)
     (when (and (option o 'name) (option o 'region))
       (usage-error "~a: give --name or --region, not both" cmd))
     (let ((id (id-or-environment cmd o))
           (name (or (option o 'name) (option o 'region)
                     (usage-error "~a: --name (or --region) is required" cmd)))
           (status (or (symbol-option cmd o 'status deployment-statuses #f)
                       (usage-error "~a: --status is required" cmd)))
           (at (or (time-option o 'at) (current-time-ns)))
           (plan (deploy-path-exporter cmd o)))
       (call-with-ledger-of
        o (lambda (l)
            (let* ((d (find-or-fail l id))
                   ;; A region or stage becomes a child span when it completes.
                   (spool (if (memq status '(succeeded failed rolled-back))
                              (spool-of plan
                                        (lambda (exporter)
                                          (deployment-span-payload
                                           exporter d #:part 'stage #:stage name
                                           #:history (append (deployment-history l d)
                                                             (list (history-entry
                                                                    at 'stage status
                                                                    #f #f name))))))
                              '())))
              (warn-unless-region cmd o d name)
              (record-stage! l d name status #:at at #:spool spool)
              (export-in-deploy-path o plan l (deployment-event-id d)))))))))
