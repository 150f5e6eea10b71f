#!/usr/bin/env bash
# Publish speed of a run with a ~200 MB subunit stream against a local
# registry (Debian docker-registry, distribution 2.8, on 127.0.0.1), beside
# the same bytes pushed by curl (one monolithic PUT of the stream: what the
# registry itself can take) and by skopeo (the whole artifact copied from an
# OCI layout, oras-style).
#
#   cargo build --release -p refstack-tester --features fake-tempest
#   benches/compare/oci_publish.sh [WORKDIR] [MIB_PER_TEST] [RUNS]
#
# Needs docker-registry (REFSTACK_TEST_REGISTRY_BIN or /usr/bin), curl,
# skopeo (optional), python3 (timing only). Every push goes to a fresh
# repository, so that every blob is sent (distribution links blobs per
# repository); the registry's storage is on the same disk for all three.
set -euo pipefail

work=${1:-/tmp/oci-bench}
mib=${2:-17}
runs=${3:-3}
target=${CARGO_TARGET_DIR:-target}
tester=${REFSTACK_TESTER_BIN:-$target/release/refstack-tester}
fake=${REFSTACK_FAKE_TEMPEST_BIN:-$target/release/fake-tempest}
registry=${REFSTACK_TEST_REGISTRY_BIN:-/usr/bin/docker-registry}

rm -rf "$work"
mkdir -p "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
host=127.0.0.1:$port
cat > "$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: $host
EOF
"$registry" serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://$host/v2/" >/dev/null && break; sleep 0.1; done

# A run whose stream holds $mib MiB of logs per test.
cat > "$work/tempest.conf" <<EOF
[identity]
uri_v3 = http://127.0.0.1:9/v3
[auth]
test_accounts_file = $work/accounts.yaml
EOF
printf -- '- username: u\n  project_name: p\n  password: benchmark-password\n' > "$work/accounts.yaml"
FAKE_TEMPEST_LOG_MIB=$mib "$tester" -s test -c "$work/tempest.conf" --tempest-bin "$fake" \
  --output-dir "$work/run" >/dev/null 2>&1 || true
stream=$work/run/0.subunit
bytes=$(stat -c %s "$stream")
total=0
for f in "$work"/run/0.*; do total=$((total + $(stat -c %s "$f"))); done
echo "stream: $bytes bytes; run files: $total bytes"

now() { python3 -c 'import time; print(time.monotonic())'; }
rate() { python3 -c "import sys; b,t=float(sys.argv[1]),float(sys.argv[2]); print(f'{t:.2f} s  {b/1e6/t:.0f} MB/s')" "$1" "$2"; }

echo "== refstack-tester publish (all blobs new)"
for i in $(seq "$runs"); do
  sync
  t0=$(now)
  "$tester" -s publish "$work/run" "$host/bench/tester$i:run" > "$work/publish$i.out"
  t1=$(now)
  echo "run $i: $(rate "$total" "$(python3 -c "print($t1-$t0)")")"
done
digest=$(sed -n 's/^Digest: //p' "$work/publish1.out")

echo "== curl: the stream alone, one monolithic PUT"
sha=$(sha256sum "$stream" | cut -d' ' -f1)
for i in $(seq "$runs"); do
  sync
  t0=$(now)
  loc=$(curl -fsS -X POST -D - -o /dev/null "http://$host/v2/bench/curl$i/blobs/uploads/" \
    | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $loc in http*) ;; *) loc="http://$host$loc" ;; esac
  sep='&'; case $loc in *\?*) ;; *) sep='?' ;; esac
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$stream" \
    "${loc}${sep}digest=sha256:$sha" -o /dev/null
  t1=$(now)
  echo "run $i: $(rate "$bytes" "$(python3 -c "print($t1-$t0)")")"
done

if command -v skopeo >/dev/null; then
  echo "== skopeo copy oci: layout -> registry (the same artifact)"
  skopeo copy -q --src-tls-verify=false "docker://$host/bench/tester1@$digest" "oci:$work/layout:run"
  for i in $(seq "$runs"); do
    sync
    t0=$(now)
    skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$work/layout:run" \
      "docker://$host/bench/skopeo$i:run"
    t1=$(now)
    echo "run $i: $(rate "$total" "$(python3 -c "print($t1-$t0)")")"
  done
  echo "skopeo's copy has digest $(skopeo inspect --raw --tls-verify=false "docker://$host/bench/skopeo1:run" | sha256sum | cut -d' ' -f1) (ours: $digest)"
fi
