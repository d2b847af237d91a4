#!/bin/sh
# A real Prometheus server (Debian's prometheus package) on 127.0.0.1 with
# its own data directory: metrics of a canary deployment written as
# OpenMetrics, loaded with promtool, and asked for through the API.  Every
# percentile, error ratio and request count deploy-ledger derives must
# equal what Prometheus' own histogram_quantile() and increase() answer
# for the same windows.
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

"$peer" gen "$tmp/istio.om" istio "$start" 1
"$peer" gen "$tmp/linkerd.om" linkerd "$start" 0
mkdir -p "$tmp/data"
for f in istio linkerd; do
  check "promtool loads the $f metrics into blocks" \
    prom promtool tsdb create-blocks-from openmetrics "$tmp/$f.om" "$tmp/data"
done

printf 'global:\n  scrape_interval: 1h\n' > "$tmp/prometheus.yml"
pid=
at_exit '[ -z "$pid" ] || { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }'
url=
# A free port: try a few, as another test may hold one.
for try in 1 2 3 4 5 6 7 8; do
  port=$(( 20000 + ($$ * 7 + try * 1031) % 40000 ))
  prom prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
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

# The peer prints its own TAP: its results become this script's.
peer_check() {
  "$peer" check "$url" "$@" > "$tmp/peer.tap" 2>&1
  grep -E '^(ok|not ok) ' "$tmp/peer.tap" > "$tmp/peer.results"
  grep '^#' "$tmp/peer.tap" > "$tmp/peer.diag"
  while IFS= read -r line; do
    case $line in
      "not ok"*) ok_if 1 "$2: ${line#not ok * - }" "$tmp/peer.diag" ;;
      *) ok_if 0 "$2: ${line#ok * - }" ;;
    esac
  done < "$tmp/peer.results"
  [ -s "$tmp/peer.results" ] || ok_if 1 "$2: the peer ran" "$tmp/peer.tap"
}
peer_check "$tmp/istio.om" istio "$start" "$completed" "$width" \
  'v1=destination_canonical_revision="v1"' 'v2=destination_canonical_revision="",destination_version="v2"'
peer_check "$tmp/linkerd.om" linkerd "$start" "$completed" "$width" 'v1=version="v1"' 'v2=version="v2"'
done_testing
