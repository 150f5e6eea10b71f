# Installs (Debian package) the OCI registry the tester's publish/pull tests
# start on loopback (refstack-tester/tests/registry.rs: distribution 2.8,
# anonymous and with htpasswd basic auth) and exports where it is.
# Sourced by .ci/run; safe to run again.

install_registry() {
  if ! dpkg -s docker-registry >/dev/null 2>&1; then
    echo "installing: docker-registry"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      docker-registry >/dev/null
  fi
  export REFSTACK_TEST_REGISTRY_BIN=/usr/bin/docker-registry
  "$REFSTACK_TEST_REGISTRY_BIN" --version
}
