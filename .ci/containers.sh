# Installs (Debian packages) podman, buildah and runc for the tester's runner
# image test (refstack-tester/tests/runner.rs: an image FROM scratch built,
# pushed, run and its run published) and exports where they are. On this kind
# of machine podman's default runtime crun fails (hybrid cgroups): the tests
# use runc. Sourced by .ci/run; safe to run again.

install_containers() {
  local missing=()
  for p in podman buildah runc; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
  export REFSTACK_TEST_PODMAN_BIN=/usr/bin/podman
  export REFSTACK_TEST_BUILDAH_BIN=/usr/bin/buildah
  export REFSTACK_TEST_CONTAINER_RUNTIME=runc
  "$REFSTACK_TEST_PODMAN_BIN" --version
}
