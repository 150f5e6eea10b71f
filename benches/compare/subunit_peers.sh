#!/usr/bin/env bash
# Side-by-side decode speed of python-subunit 1.4.6, the `subunit` crate
# 0.3.1 and refstack-subunit on the same files, in one run, with ratios.
#
# Usage: benches/compare/subunit_peers.sh [FILE...]
#   default files: $REFSTACK_SHARED_DATA/subunit/*.v2 *.v1, plus any
#   synthetic_*.v2 found in $SUBUNIT_EXTRA_DIR (default /tmp/subunit-data,
#   made by shared/tools/make_streams.sh or gen_tempest.py).
# Env: REPS (default 5; best-of-REPS wall time per measurement),
#      VENV (default /tmp/subunit-venv), PROBE (default /tmp/subunit-probe).
#
# Measured:
#   python decode  ByteStreamToStreamResult(f, non_subunit_name="stdout")
#                  into a no-op StreamResult (v1: TestProtocolServer into a
#                  no-op TestResult)
#   python todict  the same into testtools.StreamToDict (v1: through
#                  ExtendedToStreamDecorator, like subunit-1to2)
#   crate decode   subunit 0.3.1 `io::sync::iter_stream(File)`, every item
#                  (v2 only; its v1 parser cannot read stestr files)
#   ours decode    parse_slice into Counts (file in memory, CRC checked)
#   ours fold      decode + Fold into per-test records (StreamToDict)
#   ours reader    Reader over the open File (read included)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPS=${REPS:-5}
VENV=${VENV:-/tmp/subunit-venv}
PROBE=${PROBE:-/tmp/subunit-probe}
EXTRA=${SUBUNIT_EXTRA_DIR:-/tmp/subunit-data}

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    if [ -n "${REFSTACK_SHARED_DATA:-}" ]; then
        files+=("$REFSTACK_SHARED_DATA"/subunit/*.v2 "$REFSTACK_SHARED_DATA"/subunit/*.v1)
    fi
    for f in "$EXTRA"/synthetic_tempest.v2 "$EXTRA"/synthetic_tempest_noise.v2 "$EXTRA"/synthetic_biglogs.v2; do
        [ -f "$f" ] && files+=("$f")
    done
fi
if [ ${#files[@]} -eq 0 ]; then
    echo "no input files: set REFSTACK_SHARED_DATA or pass files" >&2
    exit 1
fi

# 1. python-subunit in a virtualenv.
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q python-subunit==1.4.6 testtools
fi

# 2. The subunit 0.3.1 probe, built outside the repository.
if [ ! -x "$PROBE/target/release/subunit-probe" ]; then
    mkdir -p "$PROBE/src"
    cat > "$PROBE/Cargo.toml" <<'TOML'
[package]
name = "subunit-probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
subunit = { version = "=0.3.1", default-features = false, features = ["sync"] }

[profile.release]
codegen-units = 1
lto = "fat"

[workspace]
TOML
    cat > "$PROBE/src/main.rs" <<'RUST'
// Probe of the `subunit` crate 0.3.1: iterate over every item of a file.
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = &args[1];
    let reps: usize = args[2].parse().unwrap();
    let bytes = std::fs::metadata(file).unwrap().len();
    let mut times = Vec::new();
    let (mut events, mut other) = (0u64, 0u64);
    for _ in 0..reps {
        let start = Instant::now();
        events = 0; other = 0;
        let f = std::io::BufReader::new(std::fs::File::open(file).unwrap());
        for item in subunit::io::sync::iter_stream(f) {
            match item {
                Ok(subunit::types::stream::ScannedItem::Event(_)) => events += 1,
                _ => other += 1,
            }
        }
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!("{{\"impl\":\"subunit-0.3.1\",\"mode\":\"decode\",\"file\":\"{file}\",\"bytes\":{bytes},\"items\":{events},\"other\":{other},\"best\":{:.6},\"median\":{:.6}}}", times[0], times[times.len()/2]);
}
RUST
    (cd "$PROBE" && CARGO_TARGET_DIR="$PROBE/target" cargo build --release -q)
fi

# 3. Ours.
(cd "$REPO" && cargo build --release -q -p benches --bin subunit_probe)
OURS="${CARGO_TARGET_DIR:-$REPO/target}/release/subunit_probe"

PYPROBE=$(mktemp /tmp/subunit-pyprobe.XXXXXX.py)
trap 'rm -f "$PYPROBE"' EXIT
cat > "$PYPROBE" <<'PY'
import io, json, sys, time
import subunit, testtools
from subunit.v2 import ByteStreamToStreamResult

mode, path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
v1 = not data.startswith(b"\xb3") and any(
    l.startswith((b"test: ", b"time: ", b"tags: ")) for l in data[:65536].split(b"\n"))

class Nop(testtools.StreamResult):
    def __init__(self):
        super().__init__(); self.n = 0
    def status(self, **kw):
        self.n += 1

def once():
    if mode == "decode":
        if v1:
            r = testtools.TestResult()
            subunit.TestProtocolServer(r, stream=io.BytesIO()).readFrom(io.BytesIO(data))
            return r.testsRun
        r = Nop()
        with open(path, "rb") as f:
            ByteStreamToStreamResult(f, non_subunit_name="stdout").run(r)
        return r.n
    recs = []
    r = testtools.StreamToDict(recs.append)
    r.startTestRun()
    if v1:
        subunit.TestProtocolServer(testtools.ExtendedToStreamDecorator(r),
                                   stream=io.BytesIO()).readFrom(io.BytesIO(data))
    else:
        with open(path, "rb") as f:
            ByteStreamToStreamResult(f, non_subunit_name="stdout").run(r)
    r.stopTestRun()
    return len(recs)

times = []
for _ in range(reps):
    t = time.perf_counter(); n = once(); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"impl": "python-subunit", "mode": mode, "file": path, "bytes": len(data),
                  "items": n, "best": times[0], "median": times[len(times) // 2]}))
PY

report() {
    # JSON lines on stdin -> table with ratios against the first line.
    "$VENV/bin/python" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
base = rows[0]["best"]
for r in rows:
    b = r["best"]
    print("  %-16s %-7s %10.4f s  %9.1f MB/s  %12.0f items/s  %8.1fx python" % (
        r["impl"], r["mode"], b, r["bytes"] / b / 1e6, r["items"] / b, base / b))
'
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), best of $REPS"
for f in "${files[@]}"; do
    echo "$(basename "$f") ($(stat -c %s "$f") bytes)"
    prep=1
    case "$f" in *biglogs*) prep=$REPS ;; esac
    {
        "$VENV/bin/python" "$PYPROBE" decode "$f" "$REPS"
        "$VENV/bin/python" "$PYPROBE" todict "$f" "$REPS"
        case "$f" in *.v1) ;; *) "$PROBE/target/release/subunit-probe" "$f" "$REPS" ;; esac
        "$OURS" decode "$f" "$((REPS * 4))"
        "$OURS" fold "$f" "$((REPS * 4))"
        "$OURS" reader "$f" "$((REPS * 4))"
    } | report
done
