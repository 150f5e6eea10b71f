#!/usr/bin/env bash
# Publish speed of a run with a ~200 MB subunit stream against a local
# registry (Debian docker-registry, distribution 2.8, on 127.0.0.1), beside
# the same bytes pushed by curl (one streamed monolithic PUT of the stream
# alone: what the registry itself takes) and by skopeo (the same artifact
# copied from an OCI image layout, oras-style).
#
#   cargo build --release -p refstack-tester --features fake-tempest
#   benches/compare/oci_publish.sh [WORKDIR] [MIB_PER_TEST] [RUNS]
#
# Every timed push goes to a registry started afresh (new port, empty
# storage), so that every blob is sent: no cross-repository mount, no blob
# the registry or skopeo's blob-info cache already knows. Needs
# docker-registry (REFSTACK_TEST_REGISTRY_BIN or /usr/bin), curl, python3
# (ports and timing), skopeo (optional).
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
registry_pid=
host=
n=0
stop_registry() { if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi; }
trap stop_registry EXIT
fresh_registry() {
  stop_registry
  n=$((n + 1))
  rm -rf "$work/storage"
  local port
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
  "$registry" serve "$work/registry.yml" > "$work/registry-$n.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do curl -fs "http://$host/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "registry did not start" >&2
  exit 1
}

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
timed() { # BYTES COMMAND...: one line, wall time and MB/s
  local b=$1; shift
  sync
  local t0 t1
  t0=$(now)
  "$@"
  t1=$(now)
  rate "$b" "$(python3 -c "print($t1-$t0)")"
}

tester_push() { "$tester" -s publish "$work/run" "$host/bench/runs:run" >/dev/null; }
echo "== refstack-tester publish (the run's files + config, manifest)"
for i in $(seq "$runs"); do
  fresh_registry
  echo "run $i: $(timed "$total" tester_push)"
done
"$tester" -s publish "$work/run" "$host/bench/runs:run" > "$work/publish.out"
digest=$(sed -n 's/^Digest: //p' "$work/publish.out")
manifest_bytes=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$host/v2/bench/runs/manifests/$digest")

echo "== curl: the stream alone, POST then one streamed PUT"
sha=$(sha256sum "$stream" | cut -d' ' -f1)
curl_push() {
  local loc sep
  loc=$(curl -fsS -X POST -D - -o /dev/null "http://$host/v2/bench/curl/blobs/uploads/" \
    | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $loc in http*) ;; *) loc="http://$host$loc" ;; esac
  sep='&'; case $loc in *\?*) ;; *) sep='?' ;; esac
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' -T "$stream" \
    "${loc}${sep}digest=sha256:$sha" -o /dev/null
}
for i in $(seq "$runs"); do
  fresh_registry
  echo "run $i: $(timed "$bytes" curl_push)"
done

if command -v skopeo >/dev/null; then
  echo "== skopeo copy oci: layout -> registry (the same artifact, --preserve-digests)"
  # The layout made from the run's own files: skopeo never saw a registry
  # holding these blobs.
  layout=$work/layout
  mkdir -p "$layout/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  printf '%s' "$manifest_bytes" > "$layout/blobs/sha256/${digest#sha256:}"
  printf '{}' > "$layout/blobs/sha256/44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
  for f in "$work"/run/0.json "$work"/run/0.subunit "$work"/run/0.run.json "$work"/run/0.tempest.conf; do
    [ -f "$f" ] && ln -f "$f" "$layout/blobs/sha256/$(sha256sum "$f" | cut -d' ' -f1)"
  done
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"run"}}]}' \
    "$digest" "${#manifest_bytes}" > "$layout/index.json"
  for i in $(seq "$runs"); do
    fresh_registry
    echo "run $i: $(timed "$total" skopeo copy -q --preserve-digests --dest-tls-verify=false \
      "oci:$layout:run" "docker://$host/bench/skopeo:run")"
  done
  echo "skopeo's copy: $(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$host/v2/bench/skopeo/manifests/run" | sha256sum | cut -d' ' -f1) (ours: $digest)"
fi

echo "== refstack-tester pull (every blob's digest and size checked)"
fresh_registry
"$tester" -s publish "$work/run" "$host/bench/runs:run" >/dev/null
tester_pull() { rm -rf "$work/pulled"; "$tester" -s pull "$host/bench/runs@$digest" "$work/pulled" >/dev/null; }
for i in $(seq "$runs"); do
  echo "run $i: $(timed "$total" tester_pull)"
done
if command -v skopeo >/dev/null; then
  echo "== skopeo copy registry -> oci: layout (the same artifact)"
  skopeo_pull() { rm -rf "$work/skopeo-pulled"; skopeo copy -q --src-tls-verify=false \
    "docker://$host/bench/runs@$digest" "oci:$work/skopeo-pulled:run"; }
  for i in $(seq "$runs"); do
    echo "run $i: $(timed "$total" skopeo_pull)"
  done
fi
