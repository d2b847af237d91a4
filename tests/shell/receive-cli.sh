#!/bin/sh
# `deploy-ledger receive': spans over OTLP/HTTP from curl, protobuf and
# JSON, with a bearer token; the answers of the specification; a status
# line per interval; a clean stop on SIGTERM; the token never printed.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
pid=
at_exit '[ -z "$pid" ] || kill $pid 2>/dev/null'
data="$abs_top_srcdir/tests/data/otlp"
printf 'tok-%s\n' 7f3a9c1e >"$tmp/token"
token=tok-7f3a9c1e

# The fixtures' spans are from 2018: a window of 4000 days keeps them.
deploy-ledger receive --listen 127.0.0.1:0 --interval 1s --duration 120s --window 4000d \
  --token-file "$tmp/token" >"$tmp/out.log" 2>"$tmp/err.log" &
pid=$!
wait_for_file "$tmp/out.log" 60
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/out.log")
[ -n "$port" ]
ok_if $? "receive says where it listens: $(head -1 "$tmp/out.log")" "$tmp/out.log" "$tmp/err.log"
url="http://127.0.0.1:$port/v1/traces"
# curl without the sanitizer build's ASan preload (it hangs under it),
# and with a deadline.
curl() { env -u LD_PRELOAD curl --max-time 60 "$@"; }

post() { # TYPE FILE [AUTH] -> prints the HTTP status, body in $tmp/body
  curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H "Content-Type: $1" \
    ${3:+-H "Authorization: Bearer $3"} --data-binary @"$2" "$url"
}
[ "$(post application/json "$data/trace.json" "$token")" = 200 ] && [ "$(cat "$tmp/body")" = "{}" ]
ok_if $? "OTLP/JSON with the token: 200 and {}" "$tmp/body"
[ "$(post application/x-protobuf "$data/trace.protobuf-bin" "$token")" = 200 ]
ok_if $? "OTLP protobuf with the token: 200" "$tmp/body"
gzip -c "$data/trace.json" >"$tmp/trace.json.gz"
st=$(curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H "Content-Type: application/json" \
       -H "Content-Encoding: gzip" -H "Authorization: Bearer $token" \
       --data-binary @"$tmp/trace.json.gz" "$url")
[ "$st" = 200 ]
ok_if $? "gzip OTLP/JSON: 200 (got $st)" "$tmp/body"
[ "$(post application/json "$data/trace.json")" = 401 ]
ok_if $? "without the token: 401" "$tmp/body"
[ "$(post application/json "$data/trace.json" wrong)" = 401 ]
ok_if $? "with a wrong token: 401" "$tmp/body"
[ "$(post text/plain "$data/trace.json" "$token")" = 415 ]
ok_if $? "text/plain: 415" "$tmp/body"
printf '{"resourceSpans": [' >"$tmp/bad.json"
[ "$(post application/json "$tmp/bad.json" "$token")" = 400 ] && grep -q '"code":3' "$tmp/body"
ok_if $? "truncated JSON: 400 with a Status: $(cat "$tmp/body")" "$tmp/body"

# A status line per interval, then a last one on SIGTERM.
n=0
while [ "$(grep -c 'accepted 3 spans' "$tmp/out.log")" -lt 1 ] && [ $n -lt 600 ]; do
  sleep 0.1; n=$((n + 1))
done
grep -q 'accepted 3 spans (0 too old), holding 3' "$tmp/out.log"
ok_if $? "a status line counts the 3 spans accepted and held" "$tmp/out.log"
kill -TERM $pid
wait $pid
st=$?
pid=
ok_if $st "SIGTERM stops it with exit 0" "$tmp/err.log"
tail -1 "$tmp/out.log" | grep -q '7 requests, 4 refused (1 bad, 0 too large, 1 unsupported, 2 unauthorized'
ok_if $? "the last line counts the refused requests: $(tail -1 "$tmp/out.log")" "$tmp/out.log"
! grep -q "$token" "$tmp/out.log" "$tmp/err.log"
ok_if $? "the token is never printed"

status_is "a listen address without a port is a usage error" 2 \
  deploy-ledger receive --listen 127.0.0.1 --duration 1s
grep -q 'ADDR:PORT' "$tmp/err"
ok_if $? "it says what is expected" "$tmp/err"
status_is "an empty token file is refused" 1 \
  deploy-ledger receive --listen 127.0.0.1:0 --duration 1s --token-file /dev/null
grep -q '/dev/null is empty' "$tmp/err"
ok_if $? "naming the file" "$tmp/err"
done_testing
