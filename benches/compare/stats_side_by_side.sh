#!/usr/bin/env bash
# The `stats` example (read + decode + lifecycle fold, counts per status)
# side by side with python-subunit (ByteStreamToStreamResult into
# testtools.StreamToDict, counting records), on the same file, same run.
#
# Usage: benches/compare/stats_side_by_side.sh [FILE]
#   default FILE: $REFSTACK_SHARED_DATA/subunit/real_stestr_last_oslo_utils.v2
# Env: REPS (default 7; best of REPS), VENV (default /tmp/subunit-venv).
#
# Two figures per side: the time inside the process (ours: the example's
# "seconds", open to last count; python: perf_counter around the parse)
# and the wall time of the whole process (bash $EPOCHREALTIME around the
# command; process start and exit included). The input is read once
# before each timed run so that both sides find it in the page cache.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPS=${REPS:-7}
VENV=${VENV:-/tmp/subunit-venv}
FILE=${1:-${REFSTACK_SHARED_DATA:?set REFSTACK_SHARED_DATA or pass a file}/subunit/real_stestr_last_oslo_utils.v2}

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q python-subunit==1.4.6 testtools
fi
(cd "$REPO" && cargo build --release -q -p refstack-subunit --example stats)
STATS="${CARGO_TARGET_DIR:-$REPO/target}/release/examples/stats"

PYPROBE=$(mktemp /tmp/stats-pyprobe.XXXXXX.py)
trap 'rm -f "$PYPROBE"' EXIT
cat > "$PYPROBE" <<'PY'
import sys, time
import testtools
from subunit.v2 import ByteStreamToStreamResult
t = time.perf_counter()
recs = []
r = testtools.StreamToDict(recs.append)
r.startTestRun()
with open(sys.argv[1], "rb") as f:
    ByteStreamToStreamResult(f, non_subunit_name="stdout").run(r)
r.stopTestRun()
status = {}
for rec in recs:
    status[rec["status"]] = status.get(rec["status"], 0) + 1
print("%.6f %d %s" % (time.perf_counter() - t, len(recs), sorted(status.items())))
PY

best() { sort -g | head -1; }
echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), best of $REPS"
echo "# $FILE ($(stat -c %s "$FILE") bytes)"
py_in=(); py_wall=(); ours_in=(); ours_wall=(); ours1_in=(); ours1_wall=()
for _ in $(seq "$REPS"); do
    cat "$FILE" > /dev/null
    t0=$EPOCHREALTIME; out=$("$VENV/bin/python" "$PYPROBE" "$FILE"); t1=$EPOCHREALTIME
    py_in+=("${out%% *}"); py_wall+=("$(echo "$t1 - $t0" | bc -l)"); py_out=$out
    for mode in 2 1; do
        cat "$FILE" > /dev/null
        t0=$EPOCHREALTIME; out=$(REFSTACK_SUBUNIT_THREADS=$mode "$STATS" "$FILE"); t1=$EPOCHREALTIME
        s=$(echo "$out" | sed 's/.*"seconds":\([0-9.]*\).*/\1/')
        if [ "$mode" = 2 ]; then
            ours_in+=("$s"); ours_wall+=("$(echo "$t1 - $t0" | bc -l)"); ours_out=$out
        else
            ours1_in+=("$s"); ours1_wall+=("$(echo "$t1 - $t0" | bc -l)")
        fi
    done
done
echo "python-subunit: ${py_out#* }"
echo "ours:           $ours_out"
tests=$(echo "$ours_out" | sed 's/.*"tests":\([0-9]*\).*/\1/')
pi=$(printf '%s\n' "${py_in[@]}" | best); pw=$(printf '%s\n' "${py_wall[@]}" | best)
oi=$(printf '%s\n' "${ours_in[@]}" | best); ow=$(printf '%s\n' "${ours_wall[@]}" | best)
o1i=$(printf '%s\n' "${ours1_in[@]}" | best); o1w=$(printf '%s\n' "${ours1_wall[@]}" | best)
row() { printf '%-28s %9.4f s  %9.4f s  %6.0fx / %6.0fx  %5.2f M tests/s (in process)\n' \
    "$1" "$2" "$3" "$(echo "$pi / $2" | bc -l)" "$(echo "$pw / $3" | bc -l)" "$(echo "$tests / $2 / 1000000" | bc -l)"; }
echo "                             in process   whole process  ratio (in / whole)"
row "python StreamToDict" "$pi" "$pw"
row "ours, 1 thread" "$o1i" "$o1w"
row "ours, default threads" "$oi" "$ow"
