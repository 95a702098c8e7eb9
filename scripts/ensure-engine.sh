#!/usr/bin/env bash
# Make sure a Docker engine answers. Installs Debian's docker.io and starts
# dockerd in the background when none runs (there is no systemd on the
# machine itself). Idempotent: does nothing when `docker info` already works.
set -euo pipefail

LOG=${DOCKERD_LOG:-/var/log/halb-dockerd.log}
TIMEOUT=${DOCKERD_TIMEOUT:-60}

if docker info >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-engine: no Docker engine answers and I am not root." >&2
    echo "ensure-engine: start one yourself (or run as root so that I can install docker.io and start dockerd)." >&2
    exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
    echo "ensure-engine: installing Debian's docker.io"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq docker.io >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
    # A dockerd killed with its session leaves its pid file behind; the
    # next dockerd then refuses to start ("pid file found").
    rm -f /var/run/docker.pid /run/docker.pid
    echo "ensure-engine: starting dockerd (log: $LOG)"
    # Its own session: the engine outlives the shell (or job) that started it.
    setsid nohup dockerd >"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq 1 "$TIMEOUT"); do
    if docker info >/dev/null 2>&1; then
        echo "ensure-engine: Docker engine is up"
        exit 0
    fi
    sleep 1
done
echo "ensure-engine: dockerd did not answer within ${TIMEOUT}s; last lines of $LOG:" >&2
tail -n 20 "$LOG" >&2 || true
exit 1
