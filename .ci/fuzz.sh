#!/usr/bin/env bash
# Bounded fuzzing of every cargo-fuzz target in fuzz/ (run by .ci/run,
# or run alone: .ci/fuzz.sh [TARGET...]).
#
# * nightly toolchain: installed with rustup when missing;
# * cargo-fuzz: installed from crates.io when missing, into
#   $XDG_CACHE_HOME/refstack-rs/cargo-bin (outside the clone);
# * one build of all targets (no sanitizer: the workspace has no unsafe code,
#   and without one the runs are several times faster; debug assertions on,
#   so arithmetic overflows are found);
# * each target runs REFSTACK_FUZZ_SECONDS (default 25) on a corpus of the
#   committed seeds (fuzz/corpus/<target>/), seeds made at run time from
#   $REFSTACK_SHARED_DATA and the repository's test fixtures (copied into a
#   temporary directory, never into the clone), and what earlier runs found
#   ($XDG_CACHE_HOME/refstack-rs/fuzz-corpus/<target>, kept across runs).
# A crash fails the run and leaves its input in the temporary directory.
set -euo pipefail

fuzz_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/refstack-rs"
secs="${REFSTACK_FUZZ_SECONDS:-25}"
data="${REFSTACK_SHARED_DATA:?set REFSTACK_SHARED_DATA}"
all_targets=(v2 v1 stream guideline upload results_json)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

export PATH="$cache/cargo-bin/bin:$PATH"
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --root "$cache/cargo-bin"
fi
cargo fuzz --version

fuzz_target_dir="${CARGO_TARGET_DIR:-$cache/target}/fuzz"
flags=(--sanitizer none --debug-assertions --target-dir "$fuzz_target_dir")
cd "$fuzz_root"
# The lock file is part of the check (cargo fuzz has no --locked).
cargo +nightly metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null
t0=$(date +%s)
cargo +nightly fuzz build "${flags[@]}"
echo "fuzz build: $(( $(date +%s) - t0 )) s"

work=$(mktemp -d "${TMPDIR:-/tmp}/refstack-fuzz.XXXXXX")

# Seeds made at run time.
seed() { # target file...
  local t=$1; shift
  mkdir -p "$work/seeds/$t"
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$work/seeds/$t/$(basename "$(dirname "$f")")_$(basename "$f")"
  done
  return 0
}
# An upload body from the first lines of a test list.
upload_json() { # list
  awk 'BEGIN { printf "{\"cpid\":\"seed\",\"duration_seconds\":1,\"results\":[" }
       NR <= 40 { gsub(/[\\"]/, ""); printf "%s{\"name\":\"%s\"}", (NR > 1 ? "," : ""), $0 }
       END { printf "]}" }' "$1"
}
seed v2 "$data"/subunit/*.v2
seed stream "$data"/subunit/*
seed v1 "$data"/subunit/*.v1
seed guideline "$data"/guidelines/*.json "$data"/guidelines/add-ons/*.json \
  refstack-server/tests/fixtures/guidelines/*.json refstack-server/tests/fixtures/guidelines/add-ons/*.json
seed results_json "$data"/subunit/synthetic_tempest_small.v2
mkdir -p "$work/seeds/upload" "$work/seeds/results_json"
for list in "$data"/testlists/*.txt; do
  name=$(basename "$list" .txt)
  upload_json "$list" >"$work/seeds/results_json/$name.json"
  for mode in 0 1; do
    { printf "\\x0$mode"; upload_json "$list"; } >"$work/seeds/upload/$mode-$name"
  done
done

status=0
for t in "${targets[@]}"; do
  kept="$cache/fuzz-corpus/$t"
  mkdir -p "$kept" "$work/seeds/$t" "$work/artifacts/$t"
  dirs=("$kept" "$work/seeds/$t")
  [ -d "fuzz/corpus/$t" ] && dirs+=("fuzz/corpus/$t")
  # Whole guideline files (up to ~200 KiB) stay valid JSON; subunit seeds
  # (MiBs) are cut short so that a run is not one parse of a big stream.
  case "$t" in
    guideline) max_len=262144 ;;
    v1 | v2 | stream) max_len=16384 ;;
    *) max_len=65536 ;;
  esac
  echo "--- fuzz $t (${secs} s; $(find "${dirs[@]}" -type f | wc -l) inputs; max_len $max_len)"
  if ! cargo +nightly fuzz run "${flags[@]}" "$t" "${dirs[@]}" -- \
      -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" 2>"$work/$t.log"; then
    status=1
    tail -n 60 "$work/$t.log"
    echo "error: fuzz target $t failed; input(s) in $work/artifacts/$t/" >&2
  else
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)' "$work/$t.log" || true
  fi
done
echo "fuzz total: $(( $(date +%s) - t0 )) s"
[ "$status" -eq 0 ] && rm -rf "$work"
exit "$status"
