# Installs the OpenID Connect provider of the sign-in tests (npm package
# oidc-provider, pinned by refstack-server/tests/oidc/package-lock.json) and
# exports where it is. Sourced by .ci/run; safe to run again.

install_oidc_provider() {
  local dir="$root/refstack-server/tests/oidc"
  command -v node >/dev/null || { echo "error: node (20 or later) is needed for the sign-in tests" >&2; return 1; }
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  export REFSTACK_TEST_OIDC_DIR="$dir"
  node --version
}
