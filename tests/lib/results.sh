# shellcheck shell=bash
# results.sh - one ledger of test outcomes for the whole `make test` run.
#
# Every suite records each outcome as a line in $HUSK_RESULTS:
#   PASS <count> <name>
#   FAIL <count> <name>: <why>
#   SKIP <count> <name>: <why>     (could not run on this machine; never a pass)
#   NOTE 0 <name>: <what>          (something the reader of the closing lines
#                                   should know, e.g. a rig restarted; no outcome)
# tests/summary adds them up and prints the closing line.

: "${HUSK_RESULTS:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/test-results}"
export HUSK_RESULTS

result_pass() { mkdir -p "$(dirname "$HUSK_RESULTS")"; echo "PASS ${2:-1} $1" >> "$HUSK_RESULTS"; }
result_fail() { mkdir -p "$(dirname "$HUSK_RESULTS")"; echo "FAIL ${3:-1} $1: $2" >> "$HUSK_RESULTS"; echo "FAIL: $1: $2" >&2; }
result_skip() { mkdir -p "$(dirname "$HUSK_RESULTS")"; echo "SKIP ${3:-1} $1: $2" >> "$HUSK_RESULTS"; echo "not run: $1: $2"; }
result_note() { mkdir -p "$(dirname "$HUSK_RESULTS")"; echo "NOTE 0 $1: $2" >> "$HUSK_RESULTS"; }
