;;; (deploy-ledger ledger)
(use-modules (tap)
             (ice-9 rdelim)
             (srfi srfi-1)
             (srfi srfi-64)
             (deploy-ledger core errors)
             (deploy-ledger core time)
             (deploy-ledger core types)
             (deploy-ledger integrations tracing)
             (deploy-ledger ledger))

(define dir (mkdtemp (string-copy "/tmp/dl-scheme-ledger-XXXXXX")))
(define path
  ;; DL_TEST_LEDGER: another ledger to run on (a PostgreSQL URL, from
  ;; tests/shell/ledger-postgres.sh).
  (or (getenv "DL_TEST_LEDGER") (string-append dir "/ledger.db")))

(test-begin "ledger")

(define ledger (open-ledger path))
(test-assert "open-ledger gives a ledger" (ledger? ledger))
(test-equal "its path" path (ledger-path ledger))

(define event (make-deployment-event #:service-name "checkout" #:version "v2"
                                     #:deployment-type 'canary #:status 'in-progress
                                     #:started "2024-01-15T10:30:00Z"
                                     #:regions '("us-east-1")
                                     #:attributes '(("team" . "payments"))))
(define recorded (record-deployment! ledger event))
(test-equal "recorded keeps the id" (deployment-event-id event) (deployment-event-id recorded))
(test-equal "recorded keeps the traceparent"
  (deployment-traceparent event) (deployment-traceparent recorded))
(test-eq "type survives" 'canary (deployment-event-deployment-type recorded))
(test-equal "attributes survive" '(("team" . "payments")) (deployment-event-attributes recorded))

(define found (find-deployment ledger (substring (deployment-event-id event) 0 13)))
(test-assert "find by prefix" (deployment-event? found))
(test-equal "found has the same span" (create-deployment-span event) (create-deployment-span found))
(test-eq "unknown id gives #f" #f (find-deployment ledger "ffffffff"))

;; A stage while it runs; after the finish one is refused (below).
(record-stage! ledger recorded "us-east-1" 'succeeded #:at "2024-01-15T10:40:00Z")
(define finished (update-deployment-status! ledger recorded 'succeeded
                                            #:at "2024-01-15T10:45:00Z"
                                            #:actor "alice" #:reason "green"))
(test-eq "status updated" 'succeeded (deployment-event-status finished))
(test-equal "completed at the given time" (rfc3339->ns "2024-01-15T10:45:00Z")
  (deployment-event-completed finished))
(test-raises "a forbidden transition names both states"
  (lambda (e) (and (eq? 'invalid-transition (deploy-ledger-error-code e))
                   (string-contains (deploy-ledger-error-message e) "succeeded")
                   (string-contains (deploy-ledger-error-message e) "pending")))
  (update-deployment-status! ledger recorded 'pending))
(test-raises "an unknown status is invalid input"
  (lambda (e) (eq? 'invalid-input (deploy-ledger-error-code e)))
  (update-deployment-status! ledger recorded 'done))

(set-deployment-attribute! ledger recorded "ticket" "OPS-1")
(test-raises "a stage after the finish is an invalid transition naming the stage"
  (lambda (e) (and (eq? 'invalid-transition (deploy-ledger-error-code e))
                   (string-contains (deploy-ledger-error-message e) "eu-west-1")
                   (string-contains (deploy-ledger-error-message e) "finished")))
  (record-stage! ledger recorded "eu-west-1" 'succeeded #:at "2024-01-15T10:50:00Z"))
(define history (deployment-history ledger recorded))
(test-equal "history kinds in order" '(created attribute stage status attribute)
  (map (lambda (e) (assq-ref e 'kind)) history))
(test-equal "the transition's actor and reason" '("alice" . "green")
  (let ((e (fourth history))) (cons (assq-ref e 'actor) (assq-ref e 'reason))))

(for-each (lambda (i)
            (record-deployment!
             ledger (make-deployment-event #:service-name (if (even? i) "api" "web")
                                           #:version (number->string i)
                                           #:environment (if (< i 4) "staging" "production")
                                           #:started (+ (rfc3339->ns "2024-02-01T00:00:00Z")
                                                        (* i 3600000000000)))))
          (iota 6))
(test-equal "all deployments, newest first" '("5" "4" "3" "2" "1" "0" "v2")
  (map deployment-event-version (deployments ledger)))
(test-equal "by service" '("4" "2" "0")
  (map deployment-event-version (deployments ledger #:service "api")))
(test-equal "by environment and limit" '("5")
  (map deployment-event-version (deployments ledger #:environment "production" #:limit 1)))
(test-equal "by status" '("v2")
  (map deployment-event-version (deployments ledger #:status 'succeeded)))
(test-equal "by time range" '("3" "2")
  (map deployment-event-version (deployments ledger #:since "2024-02-01T02:00:00Z"
                                             #:until "2024-02-01T04:00:00Z")))
(test-equal "latest per service and environment" '("5" "4" "3" "2" "v2")
  (map deployment-event-version (deployments ledger #:latest? #t)))

(define dora (dora-metrics ledger #:service "checkout" #:since "2024-01-01T00:00:00Z"
                           #:until "2024-01-31T00:00:00Z"))
(test-equal "DORA: one group" 1 (length dora))
(test-equal "DORA: one deployment" 1 (assq-ref (car dora) 'deployments))
(test-equal "DORA: no failures" 0.0 (assq-ref (car dora) 'change-failure-rate))
(test-equal "DORA: frequency over 30 days" (/ 1.0 30) (assq-ref (car dora) 'deployments-per-day))
(test-equal "empty spool" '() (spool-entries ledger))
(test-equal "last succeeded version of checkout in production" "v2"
  (last-succeeded-version ledger "checkout" "production"))
(test-equal "none before it started" #f
  (last-succeeded-version ledger "checkout" "production" #:before "2024-01-15T10:30:00Z"))
(test-equal "a new deployment replaces it by default" "v2"
  (deployment-event-previous-version
   (record-deployment! ledger (make-deployment-event #:service-name "checkout" #:version "v3"
                                                     #:started "2024-03-01T00:00:00Z"))))

(close-ledger ledger)
(test-assert "closed" (not (ledger-open? ledger)))
(test-raises "closing twice raises" 
  (lambda (e) (eq? 'closed (deploy-ledger-error-code e)))
  (close-ledger ledger))
(test-raises "use after close raises"
  (lambda (e) (and (eq? 'closed (deploy-ledger-error-code e))
                   (string-contains (deploy-ledger-error-message e) "closed")))
  (deployments ledger))
(test-equal "call-with-ledger closes after" 8
  (call-with-ledger (lambda (l) (length (deployments l))) path))

(call-with-output-file (string-append dir "/notes.txt")
  (lambda (port) (display "not a database" port)))
(test-raises "a file that is not a ledger is refused"
  (lambda (e) (and (eq? 'storage (deploy-ledger-error-code e))
                   (string-contains (deploy-ledger-error-message e) "notes.txt")))
  (open-ledger (string-append dir "/notes.txt")))
(test-equal "and left untouched" "not a database"
  (call-with-input-file (string-append dir "/notes.txt") (lambda (p) (read-line p))))

(define typo (string-append dir "/typo/ledger.db"))
(test-raises "#:create? #f: a missing ledger is a storage error naming the path"
  (lambda (e) (and (eq? 'storage (deploy-ledger-error-code e))
                   (string-contains (deploy-ledger-error-message e) typo)))
  (open-ledger typo #:create? #f))
(test-assert "and nothing was created" (not (file-exists? (string-append dir "/typo"))))
(test-equal "call-with-ledger #:create? #f reads an existing one" 8
  (call-with-ledger (lambda (l) (length (deployments l))) path #:create? #f))

(test-end "ledger")
(system* "rm" "-rf" dir)
