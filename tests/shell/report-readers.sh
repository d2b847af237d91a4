#!/bin/sh
# The reports read by real readers: the Org report exported to HTML by
# Emacs in batch mode (and left unchanged when Emacs re-aligns its tables),
# the Markdown rendered by cmark-gfm with its tables as <table>.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }

check "the sample's Org and Markdown reports" \
  guile --no-auto-compile "$abs_top_srcdir/examples/sample-report.scm" "$tmp" org md
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
  [ $st -eq 0 ] && [ -s "$tmp/correlation-report.html" ] && ! grep -qi '^error\|debugger entered' "$tmp/emacs.out"
  ok_if $? "Emacs exports the Org report to HTML without error (exit $st)" "$tmp/emacs.out"
  got=$(grep -o '<table' "$tmp/correlation-report.html" | wc -l)
  [ "$org_tables" -ge 8 ] && [ "$got" -eq "$org_tables" ]
  ok_if $? "its $org_tables tables are HTML tables ($got)"
  grep -q '<a href="http://localhost:16686/trace/[0-9a-f]\{32\}">[0-9a-f]\{32\}</a>' "$tmp/correlation-report.html"
  ok_if $? "its trace links are links"
  grep -q '<h2 id="[^"]*">Verdict</h2>' "$tmp/correlation-report.html"
  ok_if $? "its headings are headings"
  diff "$org" "$tmp/realigned.org" >"$tmp/realign.diff"
  ok_if $? "Emacs re-aligning every table changes nothing" "$tmp/realign.diff"
else
  for t in "Emacs export" "tables" "links" "headings" "alignment"; do
    skip "$t" "emacs is not installed (apt-get install emacs-nox)"
  done
fi

if command -v cmark-gfm >/dev/null 2>&1; then
  check "cmark-gfm renders the Markdown" cmark-gfm -e table --unsafe "$md"
  cp "$tmp/out" "$tmp/md.html"
  got=$(grep -c '<table>' "$tmp/md.html")
  [ "$md_tables" -ge 8 ] && [ "$got" -eq "$md_tables" ]
  ok_if $? "its $md_tables tables are <table> ($got)"
  grep -q '<td align="right">503.4 ms</td>' "$tmp/md.html"
  ok_if $? "the canary's p99 in a right-aligned cell"
  # The verdict comes first, outside the folded details.
  first_details=$(grep -n '<details>' "$tmp/md.html" | head -1 | cut -d: -f1)
  verdict=$(grep -n '<strong>FAIL</strong>' "$tmp/md.html" | head -1 | cut -d: -f1)
  [ -n "$verdict" ] && [ -n "$first_details" ] && [ "$verdict" -lt "$first_details" ]
  ok_if $? "the verdict first (line $verdict), the details folded (from line $first_details)"
  [ "$(wc -c <"$md")" -lt 65000 ]
  ok_if $? "under 65,000 characters ($(wc -c <"$md"))"
else
  for t in "cmark-gfm" "tables" "p99" "verdict" "length"; do
    skip "$t" "cmark-gfm is not installed (apt-get install cmark-gfm)"
  done
fi
done_testing
