;;; (deploy-ledger policies): the manual's example as written, conditions
;;; on real correlation results, consecutive intervals, and the sandbox's
;;; refusals, each naming the file and line.
(use-modules (tap)
             (srfi srfi-1)
             (srfi srfi-64)
             (ice-9 textual-ports)
             (deploy-ledger core errors)
             (deploy-ledger core types)
             (deploy-ledger traces)
             (deploy-ledger integrations tracing)
             (deploy-ledger correlation)
             (deploy-ledger ledger)
             (deploy-ledger watch)
             (deploy-ledger policies)
             (deploy-ledger policies actions))

(test-begin "policies")

(define srcdir (or (getenv "abs_top_srcdir") "."))
(define example (string-append srcdir "/examples/watch-policy.scm"))

(define (policy-file text)
  "A temporary policy file holding TEXT."
  (let* ((port (mkstemp "/tmp/dl-policy-XXXXXX"))
         (name (port-filename port)))
    (put-string port text)
    (close-port port)
    name))

(define (load-error text . trust)
  "The message of the error loading TEXT as a policy file, or #f."
  (let ((file (policy-file text)))
    (catch #t
      (lambda () (load-policy file #:trust? (pair? trust)) #f)
      (lambda (key . args)
        (let ((e (and (pair? args) (car args))))
          (string-append "@" file "@"
                         (if (and (eq? key '%exception) (deploy-ledger-error? e))
                             (deploy-ledger-error-message e)
                             (format #f "~a ~s" key args))))))))

(define (names-line? msg line)
  "MSG starts with its file's name and LINE."
  (let* ((file (cadr (string-split msg #\@)))
         (text (caddr (string-split msg #\@))))
    (string-prefix? (format #f "~a:~a: " file line) text)))

;;; The example of the issue and the manual, unchanged.
(define p (load-policy example))
(test-assert "the example loads in the sandbox" (policy? p))
(test-equal "its name" "checkout canary" (policy-name p))
(test-equal "its interval, 2 s in ns" 2000000000 (policy-interval p))
(test-equal "its rules" '("p99 regression" "the judge fails the canary")
  (map rule-name (policy-rules p)))
(test-equal "held for 2 consecutive intervals" '(2 2) (map rule-for (policy-rules p)))
(test-equal "the first alerts" '(alert) (map action-kind (rule-actions (car (policy-rules p)))))
(test-equal "the second rolls back, with its arguments"
  '("/usr/local/bin/rollback.sh" "checkout" "v1")
  (action-arguments (car (rule-actions (cadr (policy-rules p))))))
(test-equal "conditions keep their text" "(above? (ratio 'p99) 1.5)"
  (condition-description (rule-condition (car (policy-rules p)))))

;;; On the sample canary (its p99 rose, the judge fails it).
(define traces (load-traces (string-append srcdir "/examples/trace-samples.json")))
(define d (make-deployment-event #:service-name "checkout" #:version "v2.4.0"
                                 #:previous-version "v2.3.9" #:deployment-type 'canary
                                 #:started "2024-01-15T10:00:00Z"
                                 #:completed "2024-01-15T10:30:00Z"))
(define ctx (correlation->context (correlate-with-traces d traces)))
(test-equal "the context's verdict" 'fail (assq-ref ctx 'verdict))
(test-assert "the p99 ratio is 503.4 / 112.5 ms"
  (< (abs (- (figure-value (ratio 'p99) ctx) (/ 503431201.6 112526336.12))) 1e-9))
(test-assert "(above? (ratio 'p99) 1.5) holds" (condition-holds? (above? (ratio 'p99) 1.5) ctx))
(test-assert "(above? (ratio 'p99) 5) does not" (not (condition-holds? (above? (ratio 'p99) 5) ctx)))
(test-assert "the p50 moved little" (condition-holds? (below? (ratio 'p50) 1.1) ctx))
(test-assert "difference in ns, thresholds in ms"
  (condition-holds? (above? (difference 'p99) (ms 300)) ctx))
(test-assert "(verdict? 'fail)" (condition-holds? (verdict? 'fail) ctx))
(test-assert "(verdict? 'pass 'inconclusive) does not hold"
  (not (condition-holds? (verdict? 'pass 'inconclusive) ctx)))
(test-assert "latency significant at 5% (p = 0.0097)"
  (condition-holds? (significant? 'latency) ctx))
(test-assert "but not at 0.5%" (not (condition-holds? (significant? 'latency 0.005) ctx)))
(test-assert "and, or, not on conditions"
  (condition-holds? (and (verdict? 'fail) (or (below? (score) 10) (verdict? 'pass))
                         (not (at-least-requests 1000)))
                    ctx))
(test-equal "and, or, not stay Scheme's on other values" '(2 #f #t)
  (list (and 1 2) (or #f #f) (not #f)))
(test-equal "a combined condition's text"
  "(and (verdict? 'fail) (not (at-least-requests 10)))"
  (condition-description (and (verdict? 'fail) (not (at-least-requests 10)))))

;;; No data is no action.
(define empty-ctx '((verdict . inconclusive) (figures)))
(test-assert "a ratio without data does not hold"
  (not (condition-holds? (above? (ratio 'p99) 1.5) empty-ctx)))
(test-assert "inconclusive can be tested" (condition-holds? (verdict? 'inconclusive) empty-ctx))

;;; Consecutive intervals.
(define h1 (policy-step p ctx '()))
(test-equal "after one interval both hold once"
  '(("p99 regression" . 1) ("the judge fails the canary" . 1)) h1)
(test-equal "none is due after one" '() (due-rules p h1))
(define h2 (policy-step p ctx h1))
(test-equal "both are due after two" '("p99 regression" "the judge fails the canary")
  (map rule-name (due-rules p h2)))
(test-equal "an interval without it starts the count again"
  '(("p99 regression" . 0) ("the judge fails the canary" . 0)) (policy-step p empty-ctx h2))

;;; The alert's body.
(let ((body (alert-body d p (car (policy-rules p)) ctx)))
  (test-assert "the alert names the deployment's traceparent"
    (string-contains body (deployment-traceparent d)))
  (test-assert "and the rule and its condition"
    (and (string-contains body "\"rule\":\"p99 regression\"")
         (string-contains body "(above? (ratio 'p99) 1.5)")))
  (test-assert "and the figures" (string-contains body "\"p99\":{\"control\":112526336.12")))

;;; Errors name the file, the line and what was expected.
(let ((m (load-error "(use-modules (deploy-ledger policies))\n(policy \"x\"\n  #:rules (list (rule \"r\" (above? (ratio 'p98) 1))))\n")))
  (test-assert "an unknown figure: its line" (names-line? m 3))
  (test-assert "and the figures there are" (string-contains m "expected one of count, throughput")))
(let ((m (load-error "(policy \"x\" #:rules (list (rule \"r\" (verdict? 'fail) #:for 0)))")))
  (test-assert "#:for 0: what is expected" (string-contains m "#:for must be a positive number")))
(let ((m (load-error "(policy \"x\" #:interval \"soon\")")))
  (test-assert "a bad interval" (string-contains m "#:interval must be a duration")))
(let ((m (load-error "(policy \"x\"\n  #:rules (list (rule \"r\" (verdict? 'fail))")))
  (test-assert "unbalanced parentheses: where and why"
    (and (string-contains m "not valid Scheme") (string-contains m "parenthesis"))))
(let ((m (load-error "(rule \"r\" (verdict? 'fail))")))
  (test-assert "a file that does not end with a policy"
    (string-contains m "expected the file to end with a (policy")))

;;; The sandbox.
(let ((m (load-error "(use-modules (deploy-ledger policies))\n(system \"touch /tmp/dl-policy-pwned\")\n(policy \"x\")")))
  (test-assert "no system in a policy: refused at its line" (names-line? m 2))
  (test-assert "saying it is not part of the language"
    (string-contains m "system is not part of the policy language"))
  (test-assert "and nothing ran" (not (file-exists? "/tmp/dl-policy-pwned"))))
(let ((m (load-error "(use-modules (ice-9 popen))\n(policy \"x\")")))
  (test-assert "no other module" (string-contains m "(ice-9 popen) is not available to a policy")))
(let ((m (load-error "(define (f) (f))\n(f)\n(policy \"x\")")))
  (test-assert "an endless loop is cut off, at its line" (names-line? m 2)))
(let ((m (load-error "(open-input-file \"/etc/passwd\")\n(policy \"x\")")))
  (test-assert "no files" (string-contains m "open-input-file is not part of the policy language")))
(test-assert "with --trust-policy, any Scheme"
  (policy? (load-policy (policy-file "(use-modules (deploy-ledger policies) (srfi srfi-1))
(policy \"x\" #:rules (list (rule \"r\" (verdict? 'fail) #:for (fold + 0 '(1 2)))))")
                        #:trust? #t)))


;;; A firing recorded in the ledger is an event of the deployment span.
(let ((db (string-append (port-filename (mkstemp "/tmp/dl-policy-ledger-XXXXXX")) ".db")))
  (call-with-ledger
   (lambda (l)
     (let ((d (record-deployment! l (make-deployment-event #:service-name "checkout"
                                                           #:version "v2" #:status 'in-progress)))
           (r (car (policy-rules p))))
       (set-deployment-attribute! l d (fired-key r) "held for 2 intervals"
                                  #:actor "deploy-ledger watch")
       (update-deployment-status! l d 'rolled-back #:reason "policy \"checkout canary\"")
       (let* ((d (find-deployment l (deployment-event-id d)))
              (events (assq-ref (create-deployment-span d #:history (deployment-history l d))
                                'events))
              (fired (filter (lambda (e) (equal? (assq-ref e 'name) "deploy_ledger.policy.fired"))
                             events)))
         (test-equal "the deployment span has one event for the firing" 1 (length fired))
         (test-equal "naming the rule" "p99 regression"
           (assq-ref (assq-ref (car fired) 'attributes) 'deploy_ledger.rule))
         (test-equal "and the rollback as a status change" "rolled-back"
           (assq-ref (assq-ref (car (last-pair events)) 'attributes) 'deployment.status)))))
   db)
  (delete-file db))

(test-end "policies")
