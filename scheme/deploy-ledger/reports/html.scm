;;; The report as one self-contained HTML file: no script, no external
;;; asset, the style sheet and the SVG charts inline.  Light and dark themes
;;; follow prefers-color-scheme; printing drops the backgrounds and keeps
;;; every chart with its table.
(define-module (deploy-ledger reports html)
  #:use-module (srfi srfi-1)
  #:use-module (ice-9 format)
  #:use-module (sxml simple)
  #:use-module (deploy-ledger reports document)
  #:use-module (deploy-ledger reports svg)
  #:export (document->html))

(define style "
:root { color-scheme: light dark; --fg: #1d2125; --bg: #ffffff; --muted: #5c6670;
  --rule: #d5dbe1; --c1: #2f6fb3; --c2: #c27c0e; --c3: #c0392b; --c4: #2e8b57;
  --c5: #7d3c98; --c6: #117a8b; --pass: #2e7d32; --marginal: #b26a00; --fail: #c62828; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e3e7eb; --bg: #15191d; --muted: #9aa5b1; --rule: #39424b;
    --c1: #6fa8e8; --c2: #e8b04a; --c3: #f0766a; --c4: #6cc58f; --c5: #c08ad9; --c6: #5cc4d6;
    --pass: #66bb6a; --marginal: #ffb74d; --fail: #ef5350; }
}
body { font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg);
  max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0; }
.subtitle { color: var(--muted); margin-top: .2rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--rule); padding: .2rem .6rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
caption { text-align: left; color: var(--muted); font-size: .9rem; }
code { font-family: ui-monospace, monospace; font-size: .88em; word-break: break-all; }
a { color: var(--c1); }
.verdict-pass { color: var(--pass); } .verdict-marginal { color: var(--marginal); }
.verdict-fail, .verdict-inconclusive, .verdict-none { color: var(--fail); }
figure { margin: 1rem 0; }
figcaption { color: var(--muted); font-size: .9rem; }
svg.chart { width: 100%; height: auto; max-width: 720px; display: block; }
svg .grid { stroke: var(--rule); stroke-width: 1; }
svg .tick, svg .marker-label { fill: var(--muted); font-size: 11px; }
svg .series { fill: none; stroke-width: 2; }
svg .s1 { stroke: var(--c1); fill: var(--c1); } svg .s2 { stroke: var(--c2); fill: var(--c2); }
svg .s3 { stroke: var(--c3); fill: var(--c3); } svg .s4 { stroke: var(--c4); fill: var(--c4); }
svg .s5 { stroke: var(--c5); fill: var(--c5); } svg .s6 { stroke: var(--c6); fill: var(--c6); }
svg path.series { fill: none; }
svg .marker-line { stroke: var(--fg); stroke-width: 1.5; stroke-dasharray: 5 4; }
details.numbers-box summary { cursor: pointer; color: var(--muted); }
@media print {
  :root { --fg: #000; --bg: #fff; --muted: #444; --rule: #999; }
  body { max-width: none; margin: 0; font-size: 11pt; }
  figure, table { break-inside: avoid; }
  details.numbers-box summary { display: none; }
  a { color: inherit; text-decoration: none; }
}
")

(define (inline x)
  (cond ((string? x) x)
        ((eq? (car x) 'link) `(a (@ (href ,(caddr x))) (code ,(cadr x))))
        ((eq? (car x) 'code) `(code ,(cadr x)))
        ((eq? (car x) 'strong) `(strong ,(cadr x)))
        (else (inline->text x))))

(define (table columns rows)
  (let ((class (lambda (c) (if (eq? (cdr c) 'right) '((@ (class "num"))) '()))))
    `(table
      (thead (tr ,@(map (lambda (c) `(th (@ (scope "col") ,@(if (eq? (cdr c) 'right) '((class "num")) '())) ,(car c)))
                        columns)))
      (tbody ,@(map (lambda (row)
                      `(tr ,@(map (lambda (cell c) `(td ,@(class c) ,(inline cell))) row columns)))
                    rows)))))

(define (chart report name)
  (call-with-values (lambda () (report-chart report name))
    (lambda (svg desc numbers)
      (if svg
          `(figure (@ (class "chart-figure") (data-chart ,(symbol->string name)))
                   ,svg
                   (figcaption ,desc)
                   (details (@ (class "numbers-box") (open "open"))
                            (summary "The numbers")
                            ,numbers))
          ""))))

(define (block report b)
  (case (car b)
    ((p) `(p ,@(map inline (cdr b))))
    ((table) (table (cadr b) (cddr b)))
    ((props)
     `(table (@ (class "properties"))
             (tbody ,@(map (lambda (kv) `(tr (th (@ (scope "row")) ,(car kv)) (td ,(inline (cdr kv)))))
                           (cdr b)))))
    ((chart) (chart report (cadr b)))
    ((custom) (let ((v (cadr b))) (if (string? v) `(pre ,v) v)))))

(define (verdict-class report)
  (string-append "verdict-" (or (assq-ref (assq-ref report 'verdict) 'verdict) "none")))

(define* (document->html doc report #:optional (port (current-output-port)))
  "Write document DOC of REPORT (the data, for the charts) to PORT as one
HTML file."
  (display "<!DOCTYPE html>\n" port)
  (sxml->xml
   `(html (@ (lang "en"))
          (head (meta (@ (charset "utf-8")))
                (meta (@ (name "viewport") (content "width=device-width, initial-scale=1")))
                (meta (@ (name "color-scheme") (content "light dark")))
                (meta (@ (name "generator") (content "deploy-ledger")))
                (title ,(assq-ref doc 'title))
                (style ,style))
          (body
           (header (h1 ,(assq-ref doc 'title))
                   (p (@ (class ,(string-append "subtitle " (verdict-class report))))
                      ,(assq-ref doc 'subtitle)))
           (main
            ,@(map (lambda (s)
                     `(section (@ (id ,(symbol->string (car s))))
                               (h2 ,(cadr s))
                               ,@(map (lambda (b) (block report b)) (cddr s))))
                   (assq-ref doc 'sections)))))
   port)
  (newline port))
