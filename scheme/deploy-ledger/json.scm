;;; A small JSON writer for command output and reports.
(define-module (deploy-ledger json)
  #:use-module (srfi srfi-1)
  #:export (write-json
            json->string))

;; Mapping: strings, exact and finite inexact numbers as themselves; #t
;; true; #f and 'null null; 'false false; a vector an array; a hash table an
;; object (keys sorted); a list whose elements are all pairs an object (in
;; order), any other list an array; symbols as strings.

(define char-set:json-escaped
  (char-set-union (char-set #\" #\\) (ucs-range->char-set 0 #x20)))

(define (write-escaped c port)
  (case c
    ((#\") (display "\\\"" port))
    ((#\\) (display "\\\\" port))
    ((#\newline) (display "\\n" port))
    ((#\return) (display "\\r" port))
    ((#\tab) (display "\\t" port))
    (else (let ((hex (number->string (char->integer c) 16)))
            (display (if (< (char->integer c) 16) "\\u000" "\\u00") port)
            (display hex port)))))

(define (write-string-literal s port)
  ;; Runs of plain characters go out whole: most strings have no escape.
  (write-char #\" port)
  (let loop ((start 0))
    (let ((i (string-index s char-set:json-escaped start)))
      (display (substring/shared s start (or i (string-length s))) port)
      (when i
        (write-escaped (string-ref s i) port)
        (loop (+ i 1)))))
  (write-char #\" port))

(define (write-number n port)
  (cond ((and (exact? n) (integer? n)) (display n port))
        ((exact? n) (write-number (exact->inexact n) port))
        ((or (nan? n) (inf? n)) (display "null" port))
        ((and (integer? n) (< (abs n) 1e15)) (display (inexact->exact n) port))
        (else (display n port))))

(define (write-members pairs port)
  (write-char #\{ port)
  (let loop ((pairs pairs) (first? #t))
    (unless (null? pairs)
      (unless first? (write-char #\, port))
      (let ((key (caar pairs)))
        (write-string-literal (if (symbol? key) (symbol->string key) key) port))
      (write-char #\: port)
      (write-json (cdar pairs) port)
      (loop (cdr pairs) #f)))
  (write-char #\} port))

(define (write-elements items port)
  (write-char #\[ port)
  (let loop ((items items) (first? #t))
    (unless (null? items)
      (unless first? (write-char #\, port))
      (write-json (car items) port)
      (loop (cdr items) #f)))
  (write-char #\] port))

(define* (write-json value #:optional (port (current-output-port)))
  "Write VALUE to PORT as compact JSON."
  (cond ((string? value) (write-string-literal value port))
        ((number? value) (write-number value port))
        ((eq? value #t) (display "true" port))
        ((or (eq? value #f) (eq? value 'null)) (display "null" port))
        ((eq? value 'false) (display "false" port))
        ((symbol? value) (write-string-literal (symbol->string value) port))
        ((vector? value) (write-elements (vector->list value) port))
        ((hash-table? value)
         (write-members (sort (hash-map->list cons value)
                              (lambda (a b) (string<? (format #f "~a" (car a))
                                                      (format #f "~a" (car b)))))
                        port))
        ((and (pair? value) (every pair? value)) (write-members value port))
        ((list? value) (write-elements value port))
        (else (error "write-json: cannot write" value))))

(define (json->string value)
  "VALUE as a JSON string."
  (call-with-output-string (lambda (port) (write-json value port))))
