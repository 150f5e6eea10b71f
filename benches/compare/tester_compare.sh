#!/usr/bin/env bash
# Side by side: subunit stream -> results JSON, refstack-client's Python path
# (tester_python_results.py: python-subunit ProtocolTestCase over the v1
# stream, as refstack-client does) vs `refstack-tester subunit to-json`
# (v2 and v1 input), in one run, on the 85k-test synthetic stream.
#
# Usage: benches/compare/tester_compare.sh [WORKDIR]   (default /tmp/tester-bench)
# Needs: python3 with venv; network access to PyPI once (python-subunit 1.4.6);
#        a release build: cargo build --release -p refstack-tester
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
W=${1:-/tmp/tester-bench}
TOOLS=${REFSTACK_SHARED_TOOLS:-$ROOT/../shared/tools}
[ -d "$TOOLS" ] || TOOLS=/work/shared/tools
BIN=${REFSTACK_TESTER_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/refstack-tester}
mkdir -p "$W"
if [ ! -x "$W/venv/bin/python" ]; then
    python3 -m venv "$W/venv"
    "$W/venv/bin/pip" install -q python-subunit==1.4.6
fi
PY="$W/venv/bin/python"
if [ ! -f "$W/synthetic_tempest.v2" ]; then
    "$PY" "$TOOLS/gen_tempest.py" "$W/synthetic_tempest.v2" --tests 85000 --workers 4 >/dev/null
fi
if [ ! -f "$W/synthetic_tempest.v1" ]; then
    "$W/venv/bin/subunit-2to1" < "$W/synthetic_tempest.v2" > "$W/synthetic_tempest.v1"
fi
ls -l "$W"/synthetic_tempest.v1 "$W"/synthetic_tempest.v2

best() { # best and median wall time of N runs: best N OUT CMD... (CMD's stdout goes to OUT)
    # Before each run, outside the timed window: the output files are
    # removed (OUT, and ALSO, a file the command writes itself), so that
    # neither side pays for truncating and freeing the previous run's
    # 16 MB document inside its window (4-5 ms on this VM, a third of our
    # time; before 2026-11-22 10:00 both sides paid it), and the input
    # (WARM) is read into the page cache, which this machine's proactive
    # reclaim (kdamond) empties within seconds. The clock is bash's
    # $EPOCHREALTIME: no process is started inside the window.
    local n=$1 out=$2; shift 2
    local times=()
    for _ in $(seq "$n"); do
        local s e
        rm -f -- "$out" ${ALSO:+"$ALSO"}
        cat -- "$WARM" > /dev/null
        s=$EPOCHREALTIME; "$@" > "$out"; e=$EPOCHREALTIME
        times+=("$(echo "$e - $s" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{t[NR]=$1} END {print t[1], t[int((NR+1)/2)]}'
}

cat "$W"/synthetic_tempest.v1 "$W"/synthetic_tempest.v2 > /dev/null   # warm the page cache
read -r py pym < <(WARM="$W/synthetic_tempest.v1" ALSO="$W/py.json" best 3 /dev/null "$PY" "$HERE/tester_python_results.py" "$W/synthetic_tempest.v1" "$W/py.json")
read -r rs2 rs2m < <(WARM="$W/synthetic_tempest.v2" best 15 "$W/rs2.json" "$BIN" subunit to-json "$W/synthetic_tempest.v2")
read -r rs1 rs1m < <(WARM="$W/synthetic_tempest.v1" best 15 "$W/rs1.json" "$BIN" subunit to-json "$W/synthetic_tempest.v1")

# Same content: the Python path and ours agree test for test.
"$PY" - "$W/py.json" "$W/rs2.json" "$W/rs1.json" <<'PYEOF'
import json, sys
a, b, c = (json.load(open(p))["results"] for p in sys.argv[1:4])
assert a == b == c, "results differ"
print(f"identical results: {len(a)} passed tests")
PYEOF
for f in rs2 rs1; do cmp "$W/py.json" "$W/$f.json"; done && echo "byte-identical documents"
printf 'wall, best (median):\n'
printf 'python (refstack-client path, v1): %.3f s (%.3f s)\n' "$py" "$pym"
printf 'refstack-tester subunit to-json v2: %.4f s (%.4f s)  %.0fx (%.0fx)\n' \
    "$rs2" "$rs2m" "$(echo "$py / $rs2" | bc -l)" "$(echo "$pym / $rs2m" | bc -l)"
printf 'refstack-tester subunit to-json v1: %.4f s (%.4f s)  %.0fx (%.0fx)\n' \
    "$rs1" "$rs1m" "$(echo "$py / $rs1" | bc -l)" "$(echo "$pym / $rs1m" | bc -l)"

# CPU time (all threads, user + system), when perf is there.
if command -v perf >/dev/null 2>&1; then
    cpu() { # mean task-clock in ms of N runs: cpu N CMD...
        local n=$1; shift
        perf stat -x, -e task-clock -r "$n" "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ {print $1}'
    }
    cat "$W/synthetic_tempest.v1" > /dev/null
    pyc=$(cpu 2 "$PY" "$HERE/tester_python_results.py" "$W/synthetic_tempest.v1" "$W/py.json")
    cat "$W/synthetic_tempest.v2" > /dev/null
    rc2=$(cpu 10 "$BIN" subunit to-json "$W/synthetic_tempest.v2")
    cat "$W/synthetic_tempest.v1" > /dev/null
    rc1=$(cpu 10 "$BIN" subunit to-json "$W/synthetic_tempest.v1")
    printf 'CPU (task-clock, mean): python %.0f ms; v2 %.1f ms (%.0fx); v1 %.1f ms (%.0fx)\n' \
        "$pyc" "$rc2" "$(echo "$pyc / $rc2" | bc -l)" "$rc1" "$(echo "$pyc / $rc1" | bc -l)"
fi
uptime
