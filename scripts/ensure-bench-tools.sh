#!/usr/bin/env bash
# Make sure what `make bench` runs on the controller is installed: wrk (load
# generator), nft (cuts a node's network), nsenter and ip (read the nodes'
# addresses from their network namespaces), all from Debian's packages.
# Idempotent: does nothing when every command is there.
set -euo pipefail
"$(dirname "$0")/ensure-packages.sh" ensure-bench-tools \
    wrk=wrk nft=nftables nsenter=util-linux ip=iproute2
