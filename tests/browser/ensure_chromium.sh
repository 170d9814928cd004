#!/usr/bin/env bash
# Make sure Debian's chromium is there for the browser tests (Playwright drives it; we never
# download Playwright's own browsers). Installs it when missing and we are root (CI images);
# otherwise says why the browser tests will skip (or fail under CI=true).
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "warning: $CHROMIUM is missing; install the 'chromium' package to run the browser tests" >&2
fi
