#!/usr/bin/env bash
# Make sure what `make sanity` needs from Debian is installed: shellcheck
# (ansible-test's shellcheck test skips itself, with only a warning, when the
# command is missing). Idempotent: does nothing when it is there.
set -euo pipefail

missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-sanity-tools: missing ${missing[*]} and I am not root; install them (Debian packages)." >&2
    exit 1
fi
echo "ensure-sanity-tools: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
shellcheck --version | sed -n 2p
