;;; The report as GitHub-flavoured Markdown, for a pull-request comment or a
;;; chat message: the verdict first, every other section folded under
;;; <details>, and never more than a comment holds (65,536 characters on
;;; GitHub): long tables are cut, then whole sections if need be, each cut
;;; said in the text.
(define-module (deploy-ledger reports markdown)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (deploy-ledger reports document)
  #:use-module (deploy-ledger reports plain)
  #:export (document->markdown
            %markdown-limit
            %markdown-table-rows))

(define %markdown-limit 65000)       ; characters, under GitHub's 65,536
(define %markdown-table-rows 40)     ; rows of one table before it is cut

(define (escape s)
  ;; Characters that would end a cell or start markup inside a table.
  (string-concatenate
   (map (lambda (c)
          (case c
            ((#\|) "\\|")
            ((#\<) "&lt;")
            ((#\>) "&gt;")
            ((#\newline) " ")
            (else (string c))))
        (string->list s))))

(define (inline x)
  (cond ((string? x) (escape x))
        ((eq? (car x) 'link) (format #f "[~a](~a)" (escape (cadr x)) (caddr x)))
        ((eq? (car x) 'code) (format #f "`~a`" (cadr x)))
        ((eq? (car x) 'strong) (format #f "**~a**" (escape (cadr x))))
        (else (escape (inline->text x)))))

(define (table->string columns rows)
  (let* ((shown (if (> (length rows) %markdown-table-rows) (take rows %markdown-table-rows) rows))
         (line (lambda (cells) (format #f "| ~a |~%" (string-join cells " | ")))))
    (string-append
     (line (map (lambda (c) (escape (car c))) columns))
     (line (map (lambda (c) (if (eq? (cdr c) 'right) "---:" "---")) columns))
     (string-concatenate (map (lambda (row) (line (map inline row))) shown))
     (if (eq? shown rows)
         ""
         (format #f "~%~a more rows in the JSON or HTML report.~%"
                 (- (length rows) (length shown)))))))

(define (block->string block)
  (case (car block)
    ((p) (format #f "~a~%~%" (string-concatenate (map inline (cdr block)))))
    ((table) (string-append (table->string (cadr block) (cddr block)) "\n"))
    ((props)
     (string-append
      (table->string '(("" . left) ("" . left))
                     (map (lambda (kv) (list (car kv) (cdr kv))) (cdr block)))
      "\n"))
    ((custom)
     (let ((v (cadr block)))
       (format #f "~a~%~%" (if (string? v) v (sxml->plain-text v)))))))

(define (section->string section open?)
  (let ((body (string-concatenate (map block->string (cddr section)))))
    (if open?
        body
        (format #f "<details><summary>~a</summary>~%~%~a</details>~%~%"
                (escape (cadr section)) body))))

(define* (document->markdown doc #:optional (port (current-output-port)))
  "Write document DOC as Markdown to PORT, in at most
@code{%markdown-limit} characters."
  (let* ((head (format #f "### ~a~%~%" (escape (assq-ref doc 'title))))
         (sections (document-text-sections doc))
         (first (section->string (car sections) #t))
         (folded (map (lambda (s) (section->string s #f)) (cdr sections))))
    (display head port)
    (display first port)
    ;; Sections in order while they fit; the rest named in one line.
    (let loop ((folded folded) (names (map cadr (cdr sections)))
               (used (+ (string-length head) (string-length first))))
      (cond ((null? folded) #t)
            ((< (+ used (string-length (car folded))) (- %markdown-limit 400))
             (display (car folded) port)
             (loop (cdr folded) (cdr names) (+ used (string-length (car folded)))))
            (else
             (format port "Left out to stay under ~a characters: ~a (see the JSON or HTML report).~%"
                     %markdown-limit (escape (string-join names ", "))))))))
