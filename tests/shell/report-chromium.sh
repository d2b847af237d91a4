#!/bin/sh
# The HTML report in a real browser: headless Chromium loads the sample's
# report (one start: the DOM it built, its console, a screenshot) and the
# test checks that no console error came, that every chart's SVG is there
# with non-empty paths and the deployment's markers, and keeps the
# screenshot (build/tests/report-screenshot.png).
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
chrome=
at_exit '[ -n "$chrome" ] && kill $chrome 2>/dev/null'
# result ok|bad DESCRIPTION: one test whose condition the caller checked.
result() { [ "$1" = ok ]; ok_if $? "$2"; }

browser=
for b in chromium chromium-browser google-chrome; do
  command -v "$b" >/dev/null 2>&1 && { browser=$b; break; }
done
[ -n "$browser" ] || skip_all "chromium is not installed (apt-get install chromium; ./setup --tests does)"

guile --no-auto-compile "$abs_top_srcdir/examples/sample-report.scm" "$tmp" html >/dev/null 2>"$tmp/err" \
  && result ok "the sample's HTML report" || { result bad "the sample's HTML report"; sed 's/^/# /' "$tmp/err"; }

# The sanitizer build preloads ASan for Guile; the browser and the text
# tools that read its DOM are not ours and must run without it.
unset LD_PRELOAD ASAN_OPTIONS

shot="${abs_top_builddir:-.}/tests/report-screenshot.png"
mkdir -p "$(dirname "$shot")"
rm -f "$shot"
# Chromium's own start-up noise (D-Bus, GPU) is not the page's: only lines
# from the page's console count.
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
  --enable-logging=stderr --v=0 --window-size=1000,3000 --screenshot="$shot" \
  --dump-dom "file://$tmp/correlation-report.html" >"$tmp/dom.html" 2>"$tmp/chrome.err" &
chrome=$!
# A generous deadline: several builds may share the machine.
i=0
while kill -0 $chrome 2>/dev/null && [ $i -lt 600 ]; do sleep 1; i=$((i + 1)); done
if kill -0 $chrome 2>/dev/null; then
  kill $chrome; result bad "Chromium did not finish in 600 s"
else
  wait $chrome; st=$?; chrome=
  [ $st -eq 0 ] && result ok "headless Chromium loads the report" \
    || { result bad "Chromium: exit $st"; tail -5 "$tmp/chrome.err" | sed 's/^/# /'; }
fi
chrome=

if grep -q 'CONSOLE' "$tmp/chrome.err"; then
  result bad "console messages"; grep 'CONSOLE' "$tmp/chrome.err" | sed 's/^/# /'
else
  result ok "no console message"
fi
[ -s "$shot" ] && [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
  && result ok "a screenshot saved: $shot" || result bad "no PNG screenshot"

# One chart's SVG from the DOM Chromium built.
chart() { awk -v id="id=\"chart-$1\"" 'index($0, id) { on = 1 } on { print } on && /<\/svg>/ { exit }' \
            "$tmp/dom.html" | tr '>' '\n'; }
sed 's/<svg /\n<svg /g; s/<\/svg>/<\/svg>\n/g' "$tmp/dom.html" > "$tmp/dom.lines" && mv "$tmp/dom.lines" "$tmp/dom.html"
for c in latency errors comparison rollout; do
  chart $c > "$tmp/$c.svg"
  paths=$(grep -c '<path ' "$tmp/$c.svg")
  empty=$(grep '<path ' "$tmp/$c.svg" | grep -vc ' d="M[0-9]')
  if [ "$paths" -gt 0 ] && [ "$empty" -eq 0 ] \
     && grep -q "<title id=\"chart-$c-title\"" "$tmp/$c.svg" && grep -q "<desc id=\"chart-$c-desc\"" "$tmp/$c.svg"; then
    result ok "chart $c: $paths non-empty paths, a title and a description"
  else
    result bad "chart $c: $paths paths, $empty empty"; head -c 400 "$tmp/$c.svg" | sed 's/^/# /'
  fi
done
for c in latency errors rollout; do
  grep -q 'data-marker="start"' "$tmp/$c.svg" && grep -q 'data-marker="end"' "$tmp/$c.svg" \
    && result ok "chart $c marks the deployment's start and end" || result bad "chart $c: markers"
done
tables=$(grep -o '<table class="numbers">' "$tmp/dom.html" | wc -l)
[ "$tables" -eq 4 ] && result ok "each chart's numbers in a table" || result bad "$tables tables of numbers"
done_testing
