#!/bin/sh
# A real Prometheus server (Debian's prometheus package) on 127.0.0.1 with
# its own data directory: metrics of a canary deployment written as
# OpenMetrics, loaded with promtool, and asked for through the API.  Every
# percentile, error ratio and request count deploy-ledger derives must
# equal what Prometheus' own histogram_quantile() and increase() answer
# for the same windows.  Then `deploy-ledger correlate --prometheus' judges
# an Istio-shaped and a Linkerd-shaped canary of each kind: a regressed
# one fails, a clean one passes, and every figure it prints agrees with
# the server's.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
command -v prometheus >/dev/null && command -v promtool >/dev/null \
  || skip_all "prometheus and promtool are not installed (Debian package prometheus)"
peer="$abs_top_builddir/tests/c/prometheus-peer"
# Go programs do not run under the sanitizer build's preload.
prom() { env -u LD_PRELOAD "$@"; }

# The deployment: started three hours ago on the minute, 20 minutes long,
# judged over 30-minute windows (inside the default retention of 15 days).
now=$(date +%s)
start=$(( (now - 3 * 3600) / 60 * 60 ))
completed=$((start + 1200))
width=1800

# checkout: a slower, failing canary on Istio, a clean one on Linkerd;
# payments the other way round.
"$peer" gen "$tmp/istio.om" istio checkout "$start" 1
"$peer" gen "$tmp/linkerd.om" linkerd checkout "$start" 0
"$peer" gen "$tmp/istio-payments.om" istio payments "$start" 0
"$peer" gen "$tmp/linkerd-payments.om" linkerd payments "$start" 1
mkdir -p "$tmp/data"
for f in istio linkerd istio-payments linkerd-payments; do
  check "promtool loads the $f metrics into blocks" \
    prom promtool tsdb create-blocks-from openmetrics "$tmp/$f.om" "$tmp/data"
done

printf 'global:\n  scrape_interval: 1h\n' > "$tmp/prometheus.yml"
pid=
at_exit '[ -z "$pid" ] || { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }'
url=
# A free port: try a few, as another test may hold one.
# The server is started directly, not through prom: a function run in the
# background is a subshell, $! would name the subshell, and the server
# would outlive the test.
for try in 1 2 3 4 5 6 7 8; do
  port=$(( 20000 + ($$ * 7 + try * 1031) % 40000 ))
  env -u LD_PRELOAD prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$port" --storage.tsdb.retention.time=30d \
    >"$tmp/prometheus.log" 2>&1 &
  pid=$!
  # Up to 120 s for it to open its blocks and answer, under load.
  i=0
  while [ $i -lt 240 ] && kill -0 $pid 2>/dev/null; do
    if "$peer" ready "http://127.0.0.1:$port" 2>/dev/null; then url="http://127.0.0.1:$port"; break; fi
    sleep 0.5; i=$((i + 1))
  done
  [ -n "$url" ] && break
  kill $pid 2>/dev/null; wait $pid 2>/dev/null; pid=
done
if [ -z "$url" ]; then
  ok_if 1 "Prometheus starts on 127.0.0.1" "$tmp/prometheus.log"
  done_testing; exit
fi
ok_if 0 "Prometheus answers on $url"

# The peer prints its own TAP: its results become this script's, each
# prefixed with LABEL.
peer_tap() { # LABEL PEER-ARGUMENTS...
  label=$1; shift
  "$peer" "$@" > "$tmp/peer.tap" 2>&1
  grep -E '^(ok|not ok) ' "$tmp/peer.tap" > "$tmp/peer.results"
  grep '^#' "$tmp/peer.tap" > "$tmp/peer.diag"
  while IFS= read -r line; do
    case $line in
      "not ok"*) ok_if 1 "$label: ${line#not ok * - }" "$tmp/peer.diag" ;;
      *) ok_if 0 "$label: ${line#ok * - }" ;;
    esac
  done < "$tmp/peer.results"
  [ -s "$tmp/peer.results" ] || ok_if 1 "$label: the peer ran" "$tmp/peer.tap"
}
peer_check() { peer_tap "$2" check "$url" "$@"; }
peer_check "$tmp/istio.om" istio "$start" "$completed" "$width" \
  'v1=destination_canonical_revision="v1"' 'v2=destination_canonical_revision="",destination_version="v2"'
peer_check "$tmp/linkerd.om" linkerd "$start" "$completed" "$width" 'v1=version="v1"' 'v2=version="v2"'

# The command line: a deployment per service, judged from the mesh alone.
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
dl="$abs_top_builddir/pre-inst-env deploy-ledger"
at() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
for svc in checkout payments; do
  id=$($dl start --service "$svc" --version v2 --previous-version v1 --type canary \
         --at "$(at "$start")") || id=
  $dl finish "$id" --status succeeded --at "$(at "$completed")" >/dev/null
  eval "id_$svc=\$id"
done
judged() { # DESCRIPTION WANT-STATUS ID PRESET [OPTIONS...]
  description=$1 want=$2 id=$3 preset=$4; shift 4
  $dl correlate "$id" --prometheus "$url" --prometheus-preset "$preset" --window 30m "$@" \
    > "$tmp/out" 2> "$tmp/err"
  got=$?
  [ "$got" -eq "$want" ]
  ok_if $? "$description (exit $got, wanted $want)" "$tmp/out" "$tmp/err"
}
judged "Istio: the regressed canary of checkout fails" 11 "$id_checkout" istio
grep -q "mesh metrics: http://127.0.0.1:$port (istio)" "$tmp/out"
ok_if $? "the summary names the source and the preset" "$tmp/out"
judged "Istio: the clean canary of payments passes" 0 "$id_payments" istio
judged "Linkerd: the clean canary of checkout passes" 0 "$id_checkout" linkerd
judged "Linkerd: the regressed canary of payments fails" 11 "$id_payments" linkerd
judged "a service the mesh never saw is inconclusive" 12 "$id_checkout" spanmetrics
grep -q "check the service name and the preset" "$tmp/out"
ok_if $? "... and the summary says what to check" "$tmp/out"

judged "correlate --json (Istio, checkout)" 11 "$id_checkout" istio --json
cp "$tmp/out" "$tmp/istio.json"
peer_json() { peer_tap "$2 --json" json-check "$url" "$@"; }
peer_json "$tmp/istio.json" istio checkout \
  'v1=destination_canonical_revision="v1"' 'v2=destination_canonical_revision="",destination_version="v2"'
judged "correlate --json (Linkerd, payments)" 11 "$id_payments" linkerd --json
cp "$tmp/out" "$tmp/linkerd.json"
peer_json "$tmp/linkerd.json" linkerd payments 'v1=version="v1"' 'v2=version="v2"'

# --promql: a query of one's own, judged per bucket, with $service,
# $version and $window replaced.
judged "--promql: the canary's 5xx rate as a judged metric" 11 "$id_checkout" istio --json \
  --promql 'errors5xx=sum(rate(istio_requests_total{reporter="destination",destination_canonical_service="$service",response_code=~"5..",destination_version="$version"}[$window]))'
grep -q '"name":"errors5xx","window":"during","version":"v2","value":[0-9.e-]*[1-9]' "$tmp/out"
ok_if $? "the query's value for the canary during the deployment is there and not zero" "$tmp/out"
grep -q '"metric":"errors5xx","group":"promql"' "$tmp/out"
ok_if $? "... and judged beside the standard metrics" "$tmp/out"
judged "--promql with a query Prometheus refuses is a usage error" 2 "$id_checkout" istio \
  --promql 'broken=sum(rate(x[$window]'
grep -q "bad_data" "$tmp/err" && grep -q "promql broken" "$tmp/err"
ok_if $? "... naming the query and Prometheus' words" "$tmp/err"

# The same figures from the file as from the server.
$dl correlate "$id_checkout" --prometheus "$tmp/istio.om" --window 30m --json > "$tmp/file.json"
[ $? -eq 11 ]
ok_if $? "the exposition file judges the same canary: fail" "$tmp/file.json"
grep -o '"source":"prometheus","window":"during","group":{"version":"v2"}[^}]*' "$tmp/istio.json" > "$tmp/a"
grep -o '"source":"prometheus","window":"during","group":{"version":"v2"}[^}]*' "$tmp/file.json" > "$tmp/b"
[ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"
ok_if $? "the canary's row from the file equals the one from the server" "$tmp/a" "$tmp/b"

# A server that is down: exit 6, within the deadline.
$dl correlate "$id_checkout" --prometheus "http://127.0.0.1:1" --timeout 5s --retries 0 \
  > "$tmp/out" 2> "$tmp/err"
[ $? -eq 6 ] && grep -q "127.0.0.1:1" "$tmp/err"
ok_if $? "a Prometheus that does not answer: exit 6, naming it" "$tmp/err"
done_testing
