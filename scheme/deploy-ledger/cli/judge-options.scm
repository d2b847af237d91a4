;;; The judge's configuration from the command line of `deploy-ledger
;;; correlate': a Scheme file (--config), then the common settings as
;;; options (--pass-score, --marginal-score, --allowed-increase,
;;; --critical) on top of it.
(define-module (deploy-ledger cli judge-options)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 exceptions)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger judge)
  #:use-module (deploy-ledger cli options)
  #:use-module (deploy-ledger cli command)
  #:export (judge-config-of-options
            load-judge-config))

(define (config-module)
  "A fresh module for a configuration file: Guile's default bindings and
@code{(deploy-ledger judge)}."
  (let ((m (make-fresh-user-module)))
    (module-use! m (resolve-interface '(deploy-ledger judge)))
    m))

(define (load-judge-config file)
  "The judge configuration FILE evaluates to: its forms are evaluated in
order, with @code{(deploy-ledger judge)} in scope, and the value of the
last one must be a judge configuration (@code{make-judge-config}).  A file
that cannot be read, does not parse, raises an error or ends with anything
else is a usage error naming FILE."
  (define cmd "deploy-ledger correlate")
  (unless (file-exists? file)
    (usage-error "~a: --config ~a: no such file" cmd file))
  (let ((m (config-module)))
    (define (fail what)
      (usage-error "~a: --config ~a: ~a" cmd file what))
    (define (describe e)
      (cond ((deploy-ledger-error? e) (deploy-ledger-error-message e))
            ((exception-with-message? e)
             (apply format #f (exception-message e)
                    (if (exception-with-irritants? e) (exception-irritants e) '())))
            (else (format #f "~s" e))))
    (let ((value
           (with-exception-handler
               (lambda (e) (fail (describe e)))
             (lambda ()
               (call-with-input-file file
                 (lambda (port)
                   (set-port-filename! port file)
                   (let loop ((last #f))
                     (let ((form (read port)))
                       (if (eof-object? form)
                           last
                           (loop (eval form m))))))))
             #:unwind? #t)))
      (unless (judge-config? value)
        (fail (format #f "the last expression must give a judge configuration \
(make-judge-config ...), not ~s" value)))
      value)))

(define (score cmd name text)
  "TEXT, the value of option NAME, as a score from 0 to 100."
  (let ((n (and text (string->number text))))
    (unless (and n (real? n) (<= 0 n 100))
      (usage-error "~a: --~a must be a number from 0 to 100, got \"~a\"" cmd name text))
    n))

(define (find-metric cmd option-name config key)
  "The metric of CONFIG named KEY (\"latency-p99\") or judging figure KEY
(\"p99\"); a usage error listing the metrics otherwise."
  (or (find (lambda (m) (string=? key (judge-metric-name m))) (judge-config-metrics config))
      (find (lambda (m) (string=? key (symbol->string (judge-metric-figure m))))
            (judge-config-metrics config))
      (usage-error "~a: --~a: no metric \"~a\" in the judge's configuration (its metrics: ~a)"
                   cmd option-name key
                   (string-join (map judge-metric-name (judge-config-metrics config)) ", "))))

(define* (metric-with m #:key (allowed-increase (judge-metric-allowed-increase m))
                      (critical? (judge-metric-critical? m)))
  "Metric M with ALLOWED-INCREASE and CRITICAL? changed."
  (make-judge-metric (judge-metric-figure m) #:name (judge-metric-name m)
                     #:group (judge-metric-group m) #:direction (judge-metric-direction m)
                     #:tolerance (judge-metric-tolerance m)
                     #:allowed-increase allowed-increase
                     #:allowed-decrease (judge-metric-allowed-decrease m)
                     #:critical? critical?
                     #:must-have-data? (judge-metric-must-have-data? m)))

(define* (config-with c #:key (metrics (judge-config-metrics c))
                      (pass (judge-config-pass-threshold c))
                      (marginal (judge-config-marginal-threshold c)))
  "Configuration C with METRICS and the thresholds PASS and MARGINAL."
  (make-judge-config #:metrics metrics #:pass-threshold pass #:marginal-threshold marginal
                     #:conf-level (judge-config-conf-level c) #:weights (judge-config-weights c)))

(define (update-metric config m new)
  "CONFIG with metric M replaced by NEW."
  (config-with config #:metrics (map (lambda (x) (if (eq? x m) new x))
                                     (judge-config-metrics config))))

(define (judge-config-of-options o)
  "The judge configuration the options O ask for: the one of --config FILE
(else the default), with --pass-score, --marginal-score, each
--allowed-increase METRIC=RATIO and each --critical METRIC applied; #t
(the default judge) when none of them is given."
  (define cmd "deploy-ledger correlate")
  (if (not (any (lambda (name) (option o name))
                '(config pass-score marginal-score allowed-increase critical)))
      #t
      (let* ((base (if (option o 'config) (load-judge-config (option o 'config))
                       (default-judge-config)))
             (pass (if (option o 'pass-score) (score cmd 'pass-score (option o 'pass-score))
                       (judge-config-pass-threshold base)))
             (marginal (if (option o 'marginal-score)
                           (score cmd 'marginal-score (option o 'marginal-score))
                           (min pass (judge-config-marginal-threshold base))))
             (_ (unless (<= marginal pass)
                  (usage-error "~a: --marginal-score ~a is above the pass score ~a"
                               cmd marginal pass)))
             (with-increase
              (fold (lambda (text c)
                      (let* ((kv (key-value cmd 'allowed-increase text))
                             (ratio (string->number (cdr kv)))
                             (m (find-metric cmd 'allowed-increase c (car kv))))
                        (unless (and ratio (real? ratio) (> ratio 0))
                          (usage-error "~a: --allowed-increase ~a: the ratio must be a \
positive number, such as 1.2 for 20% more" cmd text))
                        (update-metric c m (metric-with m #:allowed-increase ratio))))
                    (config-with base #:pass pass #:marginal marginal)
                    (option o 'allowed-increase '()))))
        (fold (lambda (key c)
                (let ((m (find-metric cmd 'critical c key)))
                  (update-metric c m (metric-with m #:critical? #t))))
              with-increase
              (option o 'critical '())))))
