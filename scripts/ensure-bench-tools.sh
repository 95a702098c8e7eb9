#!/usr/bin/env bash
# Make sure what `make bench` runs on the controller is installed: wrk (load
# generator), nft (cuts a node's network), nsenter and ip (read the nodes'
# addresses from their network namespaces), all from Debian's packages.
# Idempotent: does nothing when every command is there.
set -euo pipefail

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nft >/dev/null || missing+=(nftables)
command -v nsenter >/dev/null || missing+=(util-linux)
command -v ip >/dev/null || missing+=(iproute2)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-bench-tools: missing ${missing[*]} and I am not root; install them (Debian packages)." >&2
    exit 1
fi
echo "ensure-bench-tools: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
wrk -v 2>&1 | head -1 || true
