(use-modules (deploy-ledger policies))
(policy "checkout canary"
  #:interval "2s"
  #:rules
  (list (rule "p99 regression"
              (above? (ratio 'p99) 1.5)          ; experiment's p99 over the control's
              #:for 2                            ; consecutive intervals
              #:then (list (alert "http://127.0.0.1:9099/alert")))
        (rule "the judge fails the canary"
              (verdict? 'fail)
              #:for 2
              #:then (list (rollback "/usr/local/bin/rollback.sh" "checkout" "v1")))))
