;;; Policies: what `watch' does when a rollout goes wrong.  A small
;;; declarative language -- a policy of rules, each a condition over the
;;; correlation of control and experiment held for some consecutive
;;; intervals, and the actions it takes (alert, rollback) -- in the manner
;;; of Argo Rollouts' failureLimit and Flagger's threshold:
;;;
;;;   (policy "checkout canary" #:interval "2s"
;;;     #:rules (list (rule "p99 regression" (above? (ratio 'p99) 1.5) #:for 2
;;;                         #:then (list (alert "http://127.0.0.1:9099/alert")))))
;;;
;;; This module is what a policy file uses; the language lives in
;;; (deploy-ledger policies language), its evaluation, actions and
;;; loading beside it.
(define-module (deploy-ledger policies)
  #:use-module (deploy-ledger policies language)
  #:use-module (deploy-ledger policies evaluate)
  #:use-module (deploy-ledger policies load)
  #:re-export (policy
               above? below? verdict? significant? at-least-requests
               ratio difference control experiment score ms
               alert rollback
               policy? policy-name policy-interval policy-rules
               rule? rule-name rule-condition rule-for rule-actions
               condition? condition-description condition-holds?
               figure? figure-description figure-value
               action? action-kind action-arguments action-description
               correlation->context policy-step due-rules
               load-policy)
  #:re-export-and-replace (and or not rule))
