;;; A custom section's SXML as plain text, for the formats that are not
;;; HTML: paragraphs apart, list items as "- ", table rows with cells
;;; separated by " | ", the text of every other element as it is.
(define-module (deploy-ledger reports plain)
  #:use-module (srfi srfi-1)
  #:export (sxml->plain-text))

(define (children node)
  ;; The contents of an element, without its attribute list.
  (let ((rest (cdr node)))
    (if (and (pair? rest) (pair? (car rest)) (eq? (caar rest) '@))
        (cdr rest)
        rest)))

(define (text-of node)
  (cond ((string? node) node)
        ((number? node) (number->string node))
        ((symbol? node) "")
        ((and (pair? node) (symbol? (car node)))
         (case (car node)
           ((@ *COMMENT* *PI*) "")
           ((p div section h1 h2 h3 h4 pre blockquote)
            (string-append (string-concatenate (map text-of (children node))) "\n\n"))
           ((ul ol) (string-append (string-concatenate (map text-of (children node))) "\n"))
           ((li) (string-append "- " (string-concatenate (map text-of (children node))) "\n"))
           ((tr) (string-append
                  (string-join (map text-of (filter pair? (children node))) " | ") "\n"))
           ((table thead tbody) (string-append (string-concatenate (map text-of (children node))) "\n"))
           ((br) "\n")
           (else (string-concatenate (map text-of (children node))))))
        ((list? node) (string-concatenate (map text-of node)))
        (else "")))

(define (sxml->plain-text tree)
  "The text of the SXML TREE, laid out as plain text."
  (string-trim-right (text-of tree)))
