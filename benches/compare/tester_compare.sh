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

best() { # best wall time of N runs of a command, seconds
    local n=$1; shift
    local best=999999
    for _ in $(seq "$n"); do
        local s e t
        s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc -l)
        if (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
    done
    echo "$best"
}

cat "$W"/synthetic_tempest.v1 "$W"/synthetic_tempest.v2 > /dev/null   # warm the page cache
py=$(best 3 "$PY" "$HERE/tester_python_results.py" "$W/synthetic_tempest.v1" "$W/py.json")
rs2=$(best 10 sh -c "'$BIN' subunit to-json '$W/synthetic_tempest.v2' > '$W/rs2.json'")
rs1=$(best 10 sh -c "'$BIN' subunit to-json '$W/synthetic_tempest.v1' > '$W/rs1.json'")

# Same content: the Python path and ours agree test for test.
"$PY" - "$W/py.json" "$W/rs2.json" "$W/rs1.json" <<'PYEOF'
import json, sys
a, b, c = (json.load(open(p))["results"] for p in sys.argv[1:4])
assert a == b == c, "results differ"
print(f"identical results: {len(a)} passed tests")
PYEOF
printf 'python (refstack-client path, v1): %.3f s\n' "$py"
printf 'refstack-tester subunit to-json v2: %.4f s  (%.0fx)\n' "$rs2" "$(echo "$py / $rs2" | bc -l)"
printf 'refstack-tester subunit to-json v1: %.4f s  (%.0fx)\n' "$rs1" "$(echo "$py / $rs1" | bc -l)"
