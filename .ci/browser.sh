# Installs (Debian packages) headless Chromium and chromedriver for the web
# UI's browser tests (refstack-server/tests/browser.rs) and exports where
# they are. Sourced by .ci/run; safe to run again.

install_browser() {
  local missing=()
  for p in chromium chromium-driver fonts-liberation; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
  export REFSTACK_TEST_CHROMEDRIVER=/usr/bin/chromedriver
  export REFSTACK_TEST_CHROMIUM=/usr/bin/chromium
  "$REFSTACK_TEST_CHROMEDRIVER" --version
}
