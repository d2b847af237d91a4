;;; Watching a deployment live: every interval, the spans since it
;;; started, the correlation and the judge, the policy, one status line;
;;; until the deployment ends in the ledger, a rollback fires, or the
;;; timeout.  Each rule fires once per deployment, also across restarts:
;;; its firing is recorded in the ledger before its actions run.
(define-module (deploy-ledger watch)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger core extension)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger correlation)
  #:use-module (deploy-ledger integrations tracing)
  #:use-module (deploy-ledger policies language)
  #:use-module (deploy-ledger policies evaluate)
  #:use-module (deploy-ledger policies actions)
  #:export (watch-deployment
            watch-status-line
            fired-key
            %rollback-attribute))

(define (fired-key rule)
  "The ledger attribute that records that RULE fired for a deployment (the
deployment span shows it as an event)."
  (string-append (%policy-fired-prefix) (rule-name rule)))

(define %rollback-attribute
  ;; The ledger attribute that keeps a rollback command's status and output.
  "deploy_ledger.rollback")

(define (final? d)
  (memq (deployment-event-status d) '(succeeded failed rolled-back)))

(define (fired? d rule)
  (assoc (fired-key rule) (or (deployment-event-attributes d) '())))

(define (side-label x)
  (or (and x (or (assq-ref x 'version) (assq-ref x 'window))) "?"))

(define (figure ctx name side)
  (let ((f (assq-ref (or (assq-ref ctx 'figures) '()) name)))
    (and f (assq-ref f side))))

(define (watch-status-line elapsed ctx held policy)
  "One line: ELAPSED (ns) since the deployment started, requests, p99 and
error rate of control and experiment, the verdict so far, and how many
consecutive intervals each rule of POLICY has held (HELD)."
  (define (side name key)
    (let ((n (figure ctx 'count key)) (p99 (figure ctx 'p99 key))
          (err (figure ctx 'error-rate key)))
      (format #f "~a: ~a req, p99 ~a, errors ~a" name (or n 0)
              (if p99 (format #f "~,1f ms" (/ p99 1e6)) "-")
              (if err (format #f "~,2f%" (* 100 err)) "-"))))
  (format #f "~a ~a | ~a | ~a | verdict ~a~a~a"
          (ns->rfc3339 (current-time-ns))
          (format #f "+~as" (quotient elapsed 1000000000))
          (side (side-label (assq-ref ctx 'control)) 'control)
          (side (side-label (assq-ref ctx 'experiment)) 'experiment)
          (or (assq-ref ctx 'verdict) "-")
          (let ((s (assq-ref ctx 'score))) (if s (format #f " (score ~,1f)" s) ""))
          (if policy
              (format #f " | ~{~a~^, ~}"
                      (map (lambda (r)
                             (format #f "~s ~a/~a" (rule-name r)
                                     (or (assoc-ref held (rule-name r)) 0) (rule-for r)))
                           (policy-rules policy)))
              "")))

(define (rollback-record result)
  "The text kept in the ledger for a rollback RESULT (see run-rollback)."
  (format #f "~a ~a~a; output~a: ~a"
          (assq-ref result 'status) (assq-ref result 'code)
          (let ((m (assq-ref result 'message))) (if m (format #f " (~a)" m) ""))
          (if (assq-ref result 'truncated) " (first 4096 bytes)" "")
          (assq-ref result 'output)))

(define (alert-record result)
  (if (assq-ref result 'ok)
      (format #f "delivered: HTTP ~a after ~a attempt~:p" (assq-ref result 'http-status)
              (assq-ref result 'attempts))
      (format #f "failed: ~a" (assq-ref result 'message))))

(define (reason-of policy rule)
  (format #f "policy ~s: rule ~s: ~a held for ~a interval~:p" (policy-name policy)
          (rule-name rule) (condition-description (rule-condition rule)) (rule-for rule)))

(define* (watch-deployment id #:key db policy spans interval timeout
                           (compare 'auto) control-version min-requests
                           (on-status (lambda (line) (display line) (newline) (force-output)))
                           (on-event (lambda (line) (display line (current-error-port))
                                             (newline (current-error-port))))
                           finish)
  "Watch deployment ID (of the ledger DB, the default one when #f) live.
Every INTERVAL (nanoseconds or a duration; by default POLICY's, else 30s):
SPANS, a procedure of the deployment returning a trace set (from the
receiver's window, or Jaeger or Tempo), is correlated with it
(@code{correlate-with-traces} with COMPARE, CONTROL-VERSION,
MIN-REQUESTS), POLICY (see @code{(deploy-ledger policies)}, or #f) is
evaluated, and ON-STATUS gets a status line.  A rule whose condition has
held for its #:for intervals fires once: its firing is recorded in the
ledger, its alerts are posted in the background, and its rollback runs;
ON-EVENT gets a line for each.  FINISH, a procedure of the deployment id,
the status and the reason, records the rollback (by default
@code{update-deployment-status!}).

Stops when the deployment ends in the ledger, when a rollback fired, or
after TIMEOUT (a duration, or #f).  Returns an alist: @code{outcome}
(@code{ended}, @code{rolled-back}, @code{rollback-failed} or
@code{timeout}), @code{intervals}, @code{fired} (rule names),
@code{verdict} (the last)."
  (define (ledger-call proc) (call-with-ledger proc db #:create? #f))
  (define (find) (ledger-call (lambda (l) (find-deployment l id))))
  (define (note! d key value)
    (ledger-call (lambda (l) (set-deployment-attribute! l (deployment-event-id d) key value
                                                        #:actor "deploy-ledger watch"))))
  (define d0 (or (find)
                 (raise-deploy-ledger-error 'not-found 'watch-deployment
                                            (format #f "no deployment with id \"~a\"" id))))
  (define step (duration->ns (or interval (and policy (policy-interval policy)) "30s")
                             'watch-deployment))
  (define limit (and timeout (duration->ns timeout 'watch-deployment)))
  (define started-watch (current-time-ns))
  (define finish! (or finish
                      (lambda (id status reason)
                        (ledger-call (lambda (l) (update-deployment-status!
                                                  l id status #:reason reason
                                                  #:actor "deploy-ledger watch"))))))
  (define held '())        ; rule name -> consecutive intervals held
  (define intervals 0)
  (define alerts '())      ; (rule name . thread) of alerts being sent
  (define fired '())       ; rule names, newest first
  (define verdict #f)
  (define (collect-alerts! wait-s)
    ;; Record the alerts that finished (waiting up to WAIT-S for each).
    (set! alerts
      (filter (lambda (a)
                (let ((r (and (or (> wait-s 0) (alert-finished? (cdr a)))
                              (alert-result (cdr a) wait-s))))
                  (when r
                    (note! d0 (string-append "deploy_ledger.policy.alert." (car a))
                           (alert-record r))
                    (on-event (format #f "alert of rule ~s: ~a" (car a) (alert-record r))))
                  (not r)))
              alerts)))
  (define (fire! d rule ctx)
    ;; Fire RULE; #f, or the outcome that ends the watch (a rollback).
    (let ((reason (reason-of policy rule)))
      ;; Recorded first: a crash or a restart never fires it twice.
      (note! d (fired-key rule)
             (format #f "~a at ~a; actions:~{ ~a~}" reason (ns->rfc3339 (current-time-ns))
                     (map action-description (rule-actions rule))))
      (set! fired (cons (rule-name rule) fired))
      (on-event (format #f "rule ~s fired: ~a" (rule-name rule) reason))
      (let act ((actions (rule-actions rule)))
        (cond
         ((null? actions) #f)
         ((eq? (action-kind (car actions)) 'alert)
          (set! alerts (cons (cons (rule-name rule)
                                   (start-alert (car actions) d (alert-body d policy rule ctx)))
                             alerts))
          (act (cdr actions)))
         (else
          (let ((result (run-rollback (car actions))))
            (note! d %rollback-attribute (rollback-record result))
            (on-event (format #f "rollback ~a: ~a" (action-description (car actions))
                              (rollback-record result)))
            (cond ((and (eq? (assq-ref result 'status) 'exited) (zero? (assq-ref result 'code)))
                   (finish! (deployment-event-id d) 'rolled-back reason)
                   'rolled-back)
                  (else 'rollback-failed))))))))
  (define (interval! d)
    ;; One interval; #f, or the outcome that ends the watch.
    (let* ((result (correlate-with-traces d (spans d) #:compare compare
                                          #:control-version control-version
                                          #:min-requests min-requests))
           (ctx (correlation->context result)))
      (set! held (if policy (policy-step policy ctx held) '()))
      (set! verdict (assq-ref ctx 'verdict))
      (set! intervals (+ intervals 1))
      (on-status (watch-status-line (- (current-time-ns) (deployment-event-started d))
                                    ctx held policy))
      (collect-alerts! 0)
      (let fire-due ((due (if policy (due-rules policy held) '())))
        (cond ((null? due) #f)
              ((fired? d (car due)) (fire-due (cdr due)))
              ((fire! d (car due) ctx))
              (else (fire-due (cdr due)))))))
  (define (sleep-until t)
    (let ((now (current-time-ns)))
      (when (< now t)
        (usleep (min 200000 (max 1000 (quotient (- t now) 1000))))
        (sleep-until t))))
  (let loop ()
    (let* ((d (find))
           (outcome (cond ((or (not d) (final? d)) 'ended)
                          ((and limit (>= (- (current-time-ns) started-watch) limit)) 'timeout)
                          (else (interval! d)))))
      (if outcome
          (begin
            (collect-alerts! (quotient (+ %alert-deadline 2000) 1000))
            `((outcome . ,outcome) (intervals . ,intervals) (fired . ,(reverse fired))
              (verdict . ,verdict)))
          (begin
            (let ((next (+ started-watch (* intervals step))))
              (sleep-until (if limit (min next (+ started-watch limit)) next)))
            (loop))))))
