;;; What the ledger subcommands of `deploy-ledger' share: running a
;;; command with its options and --help, opening the ledger, reading
;;; times, ids and choices from options, and printing JSON.
(define-module (deploy-ledger cli command)
  #:use-module (srfi srfi-1)
  #:use-module (deploy-ledger core errors)
  #:use-module (deploy-ledger core time)
  #:use-module (deploy-ledger core types)
  #:use-module (deploy-ledger ledger)
  #:use-module (deploy-ledger json)
  #:use-module (deploy-ledger cli options)
  #:export (with-command
            call-with-ledger-of
            time-option
            since-option
            one-id
            id-or-environment
            print-warning
            required
            symbol-option
            positive-integer
            key-value
            find-or-fail
            deployment->json
            alist->hash
            times->rfc3339
            print-json))

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

(define* (call-with-ledger-of options proc #:key create?)
  "Call PROC with the ledger of OPTIONS (--db, else the default) open.
Only with CREATE? (what records a new deployment) is a missing ledger
created; otherwise it is a storage error naming the path, so that a
mistyped path is not taken for an empty ledger."
  (call-with-ledger proc (option options 'db) #:create? create?))

(define (print-warning fmt . args)
  "Print a warning line, formatted as by @code{format}, on stderr."
  (format (current-error-port) "deploy-ledger: warning: ~a~%" (apply format #f fmt args)))

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
  "The one positional argument of OPTIONS, a deployment id; a usage
error naming COMMAND otherwise."
  (let ((rest (options-rest options)))
    (unless (= 1 (length rest))
      (usage-error "~a: expected one deployment ID, got ~a" command (length rest)))
    (car rest)))

(define (id-or-environment command options)
  "The one positional argument of OPTIONS, a deployment id, or without one
@env{DEPLOY_LEDGER_DEPLOYMENT_ID} (as @code{start --export-env} writes it);
a usage error naming COMMAND otherwise."
  (let ((rest (options-rest options))
        (env (getenv "DEPLOY_LEDGER_DEPLOYMENT_ID")))
    (cond ((= 1 (length rest)) (car rest))
          ((and (null? rest) env (not (string-null? env))) env)
          ((null? rest)
           (usage-error "~a: expected a deployment ID (or DEPLOY_LEDGER_DEPLOYMENT_ID in the \
environment)" command))
          (else (usage-error "~a: expected one deployment ID, got ~a" command (length rest))))))

(define (required command options name)
  "The value of option NAME; a usage error naming COMMAND without it."
  (or (option options name)
      (usage-error "~a: --~a is required" command name)))

(define (symbol-option command options name allowed default)
  "Option NAME as one of the symbols ALLOWED, DEFAULT when absent; a
usage error listing ALLOWED for anything else."
  (let ((text (option options name)))
    (cond ((not text) default)
          ((memq (string->symbol text) allowed) (string->symbol text))
          (else (usage-error "~a: unknown --~a \"~a\" (expected one of: ~a)" command name text
                             (string-join (map symbol->string allowed) ", "))))))

(define (positive-integer cmd name text)
  "TEXT, the value of option NAME, as a positive integer; a usage error
naming CMD otherwise."
  (let ((n (and text (string->number text))))
    (unless (and n (exact-integer? n) (> n 0))
      (usage-error "~a: --~a must be a positive integer, got \"~a\"" cmd name text))
    n))

(define (key-value command name text)
  "TEXT, the value KEY=VALUE of option NAME, as a pair (KEY . VALUE); a
usage error naming COMMAND otherwise."
  (let ((eq (string-index text #\=)))
    (unless (and eq (> eq 0))
      (usage-error "~a: malformed --~a \"~a\" (expected KEY=VALUE)" command name text))
    (cons (substring text 0 eq) (substring text (+ eq 1)))))

(define (find-or-fail ledger id)
  "The deployment of LEDGER with ID (or a unique prefix of it); a
@code{not-found} error otherwise."
  (or (find-deployment ledger id)
      (raise-deploy-ledger-error 'not-found 'deploy-ledger
                                 (format #f "no deployment with id \"~a\"" id))))

(define (deployment->json d)
  "Deployment D as the value @code{write-json} prints: attributes as an
object, regions as an array."
  (let ((a (deployment-event->alist d)))
    (map (lambda (pair)
           (case (car pair)
             ((attributes) (cons 'attributes (alist->hash (cdr pair))))
             ((regions) (cons 'regions (list->vector (cdr pair))))
             (else pair)))
         a)))

(define (alist->hash alist)
  "ALIST as a hash table, which @code{write-json} prints as an object."
  (let ((h (make-hash-table)))
    (for-each (lambda (kv) (hash-set! h (car kv) (cdr kv))) alist)
    h))

(define (times->rfc3339 alist keys)
  "ALIST with the nanosecond values of KEYS as RFC 3339 text."
  (map (lambda (kv)
         (if (and (memq (car kv) keys) (cdr kv)) (cons (car kv) (ns->rfc3339 (cdr kv))) kv))
       alist))

(define (print-json value)
  "Print VALUE as JSON and a newline."
  (write-json value)
  (newline))
