#!/usr/bin/env bash
# Headless Chromium for the widget's browser test (tests/web): Debian's package,
# installed only when missing, so playwright-core never downloads a browser.
# Prints the executable's path.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "==> installing chromium (apt-get)" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
fi
echo "$CHROMIUM"
