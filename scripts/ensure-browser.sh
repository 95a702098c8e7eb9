#!/usr/bin/env bash
# Make sure Debian's Chromium and ChromeDriver are installed, for the test that
# drives HAProxy's statistics page in a real browser (molecule/haproxy).
# Idempotent: does nothing when both are there.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-browser: /usr/bin/chromium and /usr/bin/chromedriver are missing and I am not root." >&2
    echo "ensure-browser: install Debian's chromium and chromium-driver packages." >&2
    exit 1
fi
echo "ensure-browser: installing Debian's chromium and chromium-driver"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# fonts-liberation: the page text in the screenshots (a recommends of chromium).
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation >/dev/null
/usr/bin/chromium --version
