# TAP for the shell tests.  Source it first thing:
#
#   set -u
#   . "$abs_top_srcdir/tests/lib/tap.sh"
#
# It makes $tmp, a temporary directory removed when the script exits
# (after the commands given to at_exit), and counts the tests:
#
#   check DESCRIPTION COMMAND...       ok when COMMAND succeeds; its output
#                                      goes to $tmp/out and $tmp/err and is
#                                      shown as diagnostics when it fails
#   status_is DESCRIPTION WANT COMMAND...
#                                      ok when COMMAND exits with WANT
#   ok_if STATUS DESCRIPTION [FILE...] ok when STATUS is 0 (pass $?); else
#                                      the FILEs are shown as diagnostics
#   diag [FILE...]                     FILEs (or stdin) as TAP diagnostics
#   skip_all REASON                    plan no test, say why, exit 0
#   at_exit COMMAND                    run COMMAND on exit (stop a server)
#   wait_for_file FILE [SECONDS]       until FILE is not empty; status 1
#                                      when the deadline (5 s) passes
#   done_testing                       prints the plan: the last line
#
# COMMAND may be a shell function.  The plan comes last, so a script
# that dies half-way has none and the TAP driver reports the error.

tap_n=0
tap_exit_commands=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dl-test.XXXXXX") || {
  echo "Bail out! cannot make a temporary directory"; exit 1; }

tap_cleanup() {
  eval "$tap_exit_commands"
  rm -rf "$tmp"
}
trap tap_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

at_exit() {
  tap_exit_commands="$tap_exit_commands
$1"
}

diag() {
  if [ $# -eq 0 ]; then sed 's/^/# /'; else cat "$@" 2>/dev/null | sed 's/^/# /'; fi
}

ok_if() {
  tap_status=$1 tap_description=$2
  shift 2
  tap_n=$((tap_n + 1))
  if [ "$tap_status" -eq 0 ]; then
    echo "ok $tap_n - $tap_description"
  else
    echo "not ok $tap_n - $tap_description"
    [ $# -eq 0 ] || diag "$@"
  fi
  return "$tap_status"
}

check() {
  tap_description=$1
  shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  ok_if $? "$tap_description" "$tmp/out" "$tmp/err"
}

status_is() {
  tap_description=$1 tap_want=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  tap_got=$?
  if [ "$tap_got" -eq "$tap_want" ]; then
    ok_if 0 "$tap_description (exit $tap_got)"
  else
    ok_if 1 "$tap_description: exit $tap_got, expected $tap_want" "$tmp/out" "$tmp/err"
  fi
}

skip_all() {
  echo "1..0 # SKIP $1"
  exit 0
}

wait_for_file() {
  tap_tenths=$(( ${2:-5} * 10 ))
  while [ ! -s "$1" ]; do
    [ "$tap_tenths" -gt 0 ] || return 1
    tap_tenths=$((tap_tenths - 1))
    sleep 0.1
  done
}

done_testing() {
  echo "1..$tap_n"
}
