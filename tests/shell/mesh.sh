#!/bin/sh
# Service mesh traces and metrics without a server: Envoy/Istio spans
# (Zipkin style through Jaeger's JSON) and Linkerd proxy spans (OTLP) are
# mapped onto service, version and error, so the correlation judges their
# canaries unchanged; and the mesh's metrics from an OpenMetrics file
# beside the traces: one list of rows with their source, the worse
# verdict, and where the two disagree.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
dl="$abs_top_builddir/pre-inst-env deploy-ledger"
data="$abs_top_srcdir/tests/data/mesh"
peer="$abs_top_builddir/tests/c/prometheus-peer"

id=$($dl start --service checkout --version v2 --previous-version v1 --type canary \
       --at 2024-01-15T10:00:00Z)
$dl finish "$id" --status succeeded --at 2024-01-15T10:30:00Z >/dev/null

judged() { # DESCRIPTION WANT-STATUS OPTIONS...
  description=$1 want=$2; shift 2
  $dl correlate "$id" "$@" > "$tmp/out" 2> "$tmp/err"
  got=$?
  [ "$got" -eq "$want" ]
  ok_if $? "$description (exit $got, wanted $want)" "$tmp/out" "$tmp/err"
}
judged "Istio traces: the regressed canary fails" 11 --traces "$data/istio-regressed.jaeger.json"
judged "Istio traces: the clean canary passes" 0 --traces "$data/istio-clean.jaeger.json"
judged "Linkerd traces: the regressed canary fails" 11 --traces "$data/linkerd-regressed.otlp.json"
judged "Linkerd traces: the clean canary passes" 0 --traces "$data/linkerd-clean.otlp.json"

# What the mapping made of the proxies' spans.
judged "Istio traces as JSON" 11 --traces "$data/istio-regressed.jaeger.json" --json
grep -q '"source":"traces","window":"during","group":{},"count":' "$tmp/out"
ok_if $? "trace rows say their source" "$tmp/out"
grep -q '"control":{"window":"during","version":"v1"},"experiment":{"window":"during","version":"v2"}' "$tmp/out"
ok_if $? "service checkout, versions from istio.canonical_revision (not the proxy's checkout.shop)" "$tmp/out"
grep -q '"type":"response flags U[FHR]' "$tmp/out"
ok_if $? "a response flag is an error, typed by its flags" "$tmp/out"
$dl correlate "$id" --traces "$data/linkerd-regressed.otlp.json" --group-by version --json > "$tmp/out"
grep -q '"group":{"version":"v2"}' "$tmp/out" && ! grep -q 'linkerd-proxy\|checkout-v2' "$tmp/out"
ok_if $? "Linkerd: the app label names the service, app.kubernetes.io/version the version" "$tmp/out"

# The mesh's metrics from a file, beside the traces.
"$peer" gen "$tmp/clean.om" istio checkout 1705312800 0
"$peer" gen "$tmp/regressed.om" istio checkout 1705312800 1
judged "traces regressed, mesh clean: the worse verdict, fail" 11 \
  --traces "$data/istio-regressed.jaeger.json" --prometheus "$tmp/clean.om"
grep -q "^traces: fail" "$tmp/out" && grep -q "^prometheus: pass" "$tmp/out"
ok_if $? "the summary shows both verdicts" "$tmp/out"
grep -q "^FIGURE  *TRACES CTL  *TRACES EXP  *MESH CTL  *MESH EXP" "$tmp/out"
ok_if $? "... the figures side by side" "$tmp/out"
grep -q "count (control): the traces hold [0-9.]*% of the [0-9]* requests the mesh counted: sampled" "$tmp/out"
ok_if $? "... and says the traces are sampled" "$tmp/out"
judged "traces clean, mesh regressed: fail from the mesh" 11 \
  --traces "$data/istio-clean.jaeger.json" --prometheus "$tmp/regressed.om" --json
grep -q '"judge":{[^}]*"reason":"Prometheus (istio): critical metric' "$tmp/out"
ok_if $? "the verdict's reason says the mesh decided" "$tmp/out"
grep -q '"sources":\["traces","prometheus"\]' "$tmp/out" \
  && grep -q '"source":"prometheus","window":"during","group":{"version":"v2"}' "$tmp/out" \
  && grep -q '"source":"traces","window":"during"' "$tmp/out"
ok_if $? "one metrics list, rows of both sources" "$tmp/out"
grep -q '"judges":{"traces":{"verdict":"pass"' "$tmp/out"
ok_if $? "both judges are kept" "$tmp/out"
judged "both clean: pass" 0 --traces "$data/istio-clean.jaeger.json" --prometheus "$tmp/clean.om"

# The report shows the mesh's rows beside the traces'.
$dl report "$id" --traces "$data/istio-clean.jaeger.json" --prometheus "$tmp/clean.om" \
  --format md > "$tmp/report.md"
[ $? -eq 0 ] && grep -q '^| during | version=v2 (prometheus) | ' "$tmp/report.md" \
  && grep -q '^| during | all | ' "$tmp/report.md"
ok_if $? "report --prometheus: the mesh's rows marked beside the trace rows" "$tmp/report.md"
$dl report "$id" --prometheus "$tmp/regressed.om" --format json > "$tmp/report.json"
[ $? -eq 11 ] && grep -q '"source":"prometheus"' "$tmp/report.json"
ok_if $? "report --prometheus alone: the mesh's verdict (fail) and rows" "$tmp/report.json"

# Bad input: clear errors, documented statuses.
printf 'foo{code="200" 1\n' > "$tmp/bad.prom"
judged "a malformed exposition file: exit 1" 1 --prometheus "$tmp/bad.prom"
grep -q 'bad.prom:1:16: expected .,. or .}. after the value of label "code"' "$tmp/err"
ok_if $? "... naming the file, line and column" "$tmp/err"
judged "a missing file: exit 1" 1 --prometheus "$tmp/none.om"
judged "an unknown preset: usage error" 2 --prometheus "$tmp/clean.om" --prometheus-preset envoy
judged "--promql with a file: usage error" 2 --prometheus "$tmp/clean.om" --promql 'x=up'
judged "neither --traces nor --prometheus: usage error" 2
DEPLOY_LEDGER_PROMETHEUS_TOKEN=s3cr3t-t0ken $dl correlate "$id" \
  --prometheus http://127.0.0.1:1/ --timeout 3s --retries 0 > "$tmp/out" 2> "$tmp/err"
[ $? -eq 6 ] && ! grep -q s3cr3t "$tmp/out" "$tmp/err"
ok_if $? "a server that does not answer: exit 6, the token never printed" "$tmp/err"
done_testing
