;;; The report as an Org document: a heading per section, the deployment in
;;; a property drawer, tables aligned as Org aligns them, links as Org links.
(define-module (deploy-ledger reports org)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (ice-9 regex)
  #:use-module (deploy-ledger reports document)
  #:use-module (deploy-ledger reports plain)
  #:export (document->org))

(define (escape-cell s)
  ;; A bar would end the cell: Org's entity for it.
  (let loop ((s s))
    (let ((i (string-index s #\|)))
      (if i
          (loop (string-append (substring s 0 i) "\\vert{}" (substring s (+ i 1))))
          s))))

(define (inline x)
  (cond ((string? x) x)
        ((eq? (car x) 'link) (format #f "[[~a][~a]]" (caddr x) (cadr x)))
        ((eq? (car x) 'code) (format #f "~~~a~~" (cadr x)))
        ((eq? (car x) 'strong) (format #f "*~a*" (cadr x)))
        (else (inline->text x))))

(define org-link (make-regexp "\\[\\[[^]]*\\]\\[([^]]*)\\]\\]"))

(define (display-width s)
  "The width Org gives cell S: a link counts as its description."
  (string-length (regexp-substitute/global #f org-link s 'pre 1 'post)))

(define (pad s width align)
  (let ((fill (make-string (max 0 (- width (display-width s))) #\space)))
    (if (eq? align 'right) (string-append fill s) (string-append s fill))))

(define org-number
  ;; What Org counts as a number when it aligns a column (its
  ;; org-table-number-regexp, without the hexadecimal and radix forms).
  (make-regexp "^([<>]?[-+^.0-9]*[0-9][-+^.0-9eEdDx()%:]*|nan|[-+u]?inf)$"))

(define (right-aligned? cells)
  "Org's rule: a column is aligned to the right when at least half of its
non-empty cells are numbers."
  (let* ((filled (remove string-null? (map string-trim-both cells)))
         (numbers (count (lambda (c) (regexp-exec org-number c)) filled)))
    (and (pair? filled) (>= (/ numbers (length filled)) 1/2))))

(define (write-table columns rows port)
  "An Org table as Org aligns it: every column as wide as its widest cell,
aligned by Org's own rule, a rule under the header; re-aligning it in
Emacs changes nothing."
  (let* ((header (map car columns))
         (cells (map (lambda (row) (map (lambda (c) (escape-cell (inline c))) row)) rows))
         (widths (apply map (lambda column (apply max (map display-width column)))
                        header cells))
         (aligns (if (null? cells)
                     (map (lambda (_) 'left) header)
                     (apply map (lambda column (if (right-aligned? column) 'right 'left))
                            cells)))
         (line (lambda (row)
                 (format port "| ~a |~%" (string-join (map pad row widths aligns) " | ")))))
    (line header)
    (format port "|~a|~%"
            (string-join (map (lambda (w) (make-string (+ w 2) #\-)) widths) "+"))
    (for-each line cells)))

(define (write-block block port)
  (case (car block)
    ((p) (format port "~a~%~%" (string-concatenate (map inline (cdr block)))))
    ((table) (write-table (cadr block) (cddr block) port) (newline port))
    ((props)
     (format port ":PROPERTIES:~%")
     (for-each (lambda (kv)
                 (format port ":~a: ~a~%"
                         (string-map (lambda (c) (if (char=? c #\space) #\_ c))
                                     (string-upcase (car kv)))
                         (inline->text (cdr kv))))
               (cdr block))
     (format port ":END:~%~%")
     (for-each (lambda (kv) (format port "- ~a :: ~a~%" (car kv) (inline (cdr kv))))
               (cdr block))
     (newline port))
    ((custom)
     (let ((v (cadr block)))
       (format port "~a~%~%" (if (string? v) v (sxml->plain-text v)))))))

(define* (document->org doc #:optional (port (current-output-port)))
  "Write document DOC as Org to PORT."
  (format port "#+TITLE: ~a~%#+SUBTITLE: ~a~%#+OPTIONS: toc:nil num:nil~%~%"
          (assq-ref doc 'title) (assq-ref doc 'subtitle))
  (for-each (lambda (section)
              (format port "* ~a~%" (cadr section))
              (for-each (lambda (b) (write-block b port)) (cddr section)))
            (document-text-sections doc)))
