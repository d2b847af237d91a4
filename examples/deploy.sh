#!/bin/sh
# A canary deploy step for CI: record, export, wait, correlate, report, gate.
#
#   SERVICE=checkout VERSION=v2.4.0 PREVIOUS_VERSION=v2.3.9 \
#   TRACES=jaeger:http://jaeger:16686 \
#   DEPLOY_COMMAND='kubectl apply -f canary.yaml' \
#   ROLLBACK_COMMAND='kubectl delete -f canary.yaml' \
#   CANARY_SECONDS=1800 examples/deploy.sh
#
# It records the deployment in the ledger (and sends its start span when
# an OTLP endpoint is configured), runs DEPLOY_COMMAND with the
# deployment's TRACEPARENT in its environment, lets the canary serve for
# CANARY_SECONDS, records the end, then writes the impact report as
# Markdown (for the pull request) and HTML (to attach) into REPORT_DIR
# (default: reports) and gates on its verdict: pass promotes, marginal
# holds (exit 10), fail runs ROLLBACK_COMMAND and records the rollback
# (exit 11).  STARTED_AT and FINISHED_AT (RFC 3339) replay a deployment
# that already happened, as the tests do with examples/trace-samples.json.
set -u
dl=${DEPLOY_LEDGER:-deploy-ledger}
: "${SERVICE:?set SERVICE}" "${VERSION:?set VERSION}" "${TRACES:?set TRACES, e.g. jaeger:http://jaeger:16686}"
report_dir=${REPORT_DIR:-reports}
mkdir -p "$report_dir" || exit 1

# Record (and export, when an endpoint is configured).
export_flag=
[ -n "${OTEL_EXPORTER_OTLP_ENDPOINT:-}${OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:-}" ] && export_flag=--export
set -- --service "$SERVICE" --version "$VERSION" --type canary
[ -n "${PREVIOUS_VERSION:-}" ] && set -- "$@" --previous-version "$PREVIOUS_VERSION"
for r in ${REGIONS:-}; do set -- "$@" --region "$r"; done
[ -n "${STARTED_AT:-}" ] && set -- "$@" --at "$STARTED_AT"
# --as-parent: the deploy command's spans become children of the deployment.
env_lines=$("$dl" start "$@" $export_flag --export-env --as-parent) || exit $?
eval "export $(printf '%s\n' "$env_lines" | tr '\n' ' ')"
id=$DEPLOY_LEDGER_DEPLOYMENT_ID
echo "deployment $id, traceparent $TRACEPARENT"

# Deploy: the deploy tool's own calls carry the deployment's trace context.
if [ -n "${DEPLOY_COMMAND:-}" ]; then
  sh -c "$DEPLOY_COMMAND" || {
    "$dl" finish "$id" --status failed --reason "deploy command failed" $export_flag
    exit 1
  }
fi

# Wait while the canary serves, then record the end of the canary phase.
sleep "${CANARY_SECONDS:-0}"
set -- --status succeeded --reason "canary phase over"
[ -n "${FINISHED_AT:-}" ] && set -- "$@" --at "$FINISHED_AT"
"$dl" finish "$id" "$@" $export_flag >/dev/null || exit $?

# Correlate and report: one run per format, each exiting with the verdict.
"$dl" report "$id" --traces "$TRACES" --format md -o "$report_dir/report.md"
verdict=$?
"$dl" report "$id" --traces "$TRACES" --format html -o "$report_dir/report.html"

# Gate.
case $verdict in
  0) echo "canary passed: promote $SERVICE $VERSION" ;;
  10) echo "canary marginal: holding $SERVICE $VERSION for a person to decide" ;;
  11|12)
    echo "canary failed: rolling back $SERVICE $VERSION"
    [ -n "${ROLLBACK_COMMAND:-}" ] && sh -c "$ROLLBACK_COMMAND"
    "$dl" finish "$id" --status rolled-back --reason "canary gate: see $report_dir/report.md" \
      $export_flag >/dev/null
    ;;
  *) echo "no verdict: the report could not be made (exit $verdict)" >&2 ;;
esac
exit $verdict
