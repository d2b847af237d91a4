;;; The report as an Org document: a heading per section, the deployment in
;;; a property drawer, tables aligned as Org aligns them, links as Org links.
(define-module (deploy-ledger reports org)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
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

(define (pad s width align)
  (let ((fill (make-string (max 0 (- width (string-length s))) #\space)))
    (if (eq? align 'right) (string-append fill s) (string-append s fill))))

(define (write-table columns rows port)
  "An Org table as Org aligns it: every column as wide as its widest cell,
numbers to the right, a rule under the header."
  (let* ((header (map car columns))
         (aligns (map cdr columns))
         (cells (map (lambda (row) (map (lambda (c) (escape-cell (inline c))) row)) rows))
         (widths (apply map (lambda column (apply max (map string-length column)))
                        header cells))
         (line (lambda (row aligns)
                 (format port "| ~a |~%"
                         (string-join (map pad row widths aligns) " | ")))))
    (line header (map (lambda (_) 'left) header))
    (format port "|~a|~%"
            (string-join (map (lambda (w) (make-string (+ w 2) #\-)) widths) "+"))
    (for-each (lambda (row) (line row aligns)) cells)))

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
