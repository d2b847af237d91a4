#!/bin/sh
# The reports read by real readers: the Org report exported to HTML by
# Emacs in batch mode (and left unchanged when Emacs re-aligns its tables),
# the Markdown rendered by cmark-gfm with its tables as <table>.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
result() { n=$((n + 1)); if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

guile --no-auto-compile "$abs_top_srcdir/examples/sample-report.scm" "$tmp" org md >/dev/null 2>"$tmp/err" \
  && result ok "the sample's Org and Markdown reports" \
  || { result bad "the sample's reports"; sed 's/^/# /' "$tmp/err"; }
org="$tmp/correlation-report.org"
md="$tmp/correlation-report.md"
# An Org table has one rule line (|---+---|) under its header.
org_tables=$(grep -c '^|-' "$org")
md_tables=$(grep -c '^| ---' "$md")

if command -v emacs >/dev/null 2>&1; then
  (cd "$tmp" && timeout 300 emacs --batch -Q correlation-report.org --eval '(progn
     (require (quote org)) (require (quote ox-html))
     (let ((out (org-html-export-to-html)))
       (unless (and out (file-exists-p out)) (error "no export")))
     (org-table-map-tables (quote org-table-align) t)
     (write-region nil nil "realigned.org"))') >"$tmp/emacs.out" 2>&1; st=$?
  [ $st -eq 0 ] && [ -s "$tmp/correlation-report.html" ] && ! grep -qi '^error\|debugger entered' "$tmp/emacs.out" \
    && result ok "Emacs exports the Org report to HTML without error" \
    || { result bad "Emacs export: exit $st"; sed 's/^/# /' "$tmp/emacs.out"; }
  got=$(grep -o '<table' "$tmp/correlation-report.html" | wc -l)
  [ "$org_tables" -ge 8 ] && [ "$got" -eq "$org_tables" ] \
    && result ok "its $org_tables tables are HTML tables" \
    || result bad "tables: $got in the HTML, $org_tables in the Org file"
  grep -q '<a href="http://localhost:16686/trace/[0-9a-f]\{32\}">[0-9a-f]\{32\}</a>' "$tmp/correlation-report.html" \
    && result ok "its trace links are links" || result bad "trace links in the exported HTML"
  grep -q '<h2 id="[^"]*">Verdict</h2>' "$tmp/correlation-report.html" \
    && result ok "its headings are headings" || result bad "headings in the exported HTML"
  cmp -s "$org" "$tmp/realigned.org" \
    && result ok "Emacs re-aligning every table changes nothing" \
    || { result bad "Org re-aligns the tables differently"; diff "$org" "$tmp/realigned.org" | head -20 | sed 's/^/# /'; }
else
  for t in "Emacs export" "tables" "links" "headings" "alignment"; do
    skip "$t" "emacs is not installed (apt-get install emacs-nox)"
  done
fi

if command -v cmark-gfm >/dev/null 2>&1; then
  cmark-gfm -e table --unsafe "$md" >"$tmp/md.html" 2>"$tmp/err"; st=$?
  [ $st -eq 0 ] && result ok "cmark-gfm renders the Markdown" || { result bad "cmark-gfm: exit $st"; sed 's/^/# /' "$tmp/err"; }
  got=$(grep -c '<table>' "$tmp/md.html")
  [ "$md_tables" -ge 8 ] && [ "$got" -eq "$md_tables" ] \
    && result ok "its $md_tables tables are <table>" \
    || result bad "tables: $got rendered, $md_tables in the Markdown"
  grep -q '<td align="right">503.4 ms</td>' "$tmp/md.html" \
    && result ok "the canary's p99 in a right-aligned cell" || result bad "the canary's p99 cell"
  # The verdict comes first, outside the folded details.
  first_details=$(grep -n '<details>' "$tmp/md.html" | head -1 | cut -d: -f1)
  verdict=$(grep -n '<strong>FAIL</strong>' "$tmp/md.html" | head -1 | cut -d: -f1)
  [ -n "$verdict" ] && [ -n "$first_details" ] && [ "$verdict" -lt "$first_details" ] \
    && result ok "the verdict first, the details folded" || result bad "verdict line $verdict, details line $first_details"
  [ "$(wc -c <"$md")" -lt 65000 ] && result ok "under 65,000 characters" || result bad "too long: $(wc -c <"$md")"
else
  for t in "cmark-gfm" "tables" "p99" "verdict" "length"; do
    skip "$t" "cmark-gfm is not installed (apt-get install cmark-gfm)"
  done
fi
echo "1..$n"
