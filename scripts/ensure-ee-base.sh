#!/usr/bin/env bash
# Build the base image of the execution environment (execution-environment.yml),
# halb/ee-base:bookworm, unless it exists: Debian 12 made with debootstrap and
# `docker import`, like the test image (scripts/ensure-image.sh), since no
# registry is reachable. It is not that image: an EE runs ansible-playbook,
# not systemd, so it has no systemd, dbus or iproute2, but python3 with pip
# (ansible-builder installs the wheels with it) and a package-manager shim.
#
#   scripts/ensure-ee-base.sh [IMAGE]     (default halb/ee-base:bookworm)
#
# ansible-builder's scripts call the package manager as dnf is called
# ($PKGMGR install -y PKGS, $PKGMGR clean all); /usr/local/sbin/halb-pkgmgr
# turns that into apt-get (the image's default sources). debootstrap uses its
# default mirror unless HALB_MIRROR names one.
set -euo pipefail

IMAGE=${1:-halb/ee-base:bookworm}
SUITE=bookworm
MIRROR=${HALB_MIRROR:-}
PACKAGES=python3,python3-pip,ca-certificates

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    "$(dirname "$0")/ensure-packages.sh" ensure-ee-base debootstrap=debootstrap
fi

rootfs=$(mktemp -d /var/tmp/halb-ee-rootfs.XXXXXX)
# shellcheck disable=SC2064 # expand now: this run's directory
trap "rm -rf '$rootfs' '$rootfs.log'" EXIT
echo "ensure-ee-base: debootstrap $SUITE into $rootfs (about a minute)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" ${MIRROR:+"$MIRROR"} \
    >"$rootfs.log" 2>&1 \
    || { tail -n 30 "$rootfs.log" >&2; exit 1; }

install -m 0755 /dev/stdin "$rootfs/usr/local/sbin/halb-pkgmgr" <<'SHIM'
#!/bin/sh
# ansible-builder calls the package manager as it calls dnf: `install -y PKGS`
# and `clean all`. This is apt-get behind those verbs (halb.cluster EE base).
set -eu
verb=${1:-}
[ "$#" -gt 0 ] && shift
case "$verb" in
    install)
        [ "${1:-}" = -y ] && shift
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "$@"
        ;;
    clean)
        apt-get clean
        rm -rf /var/lib/apt/lists/*
        ;;
    *)
        echo "halb-pkgmgr: unknown verb '$verb' (install, clean)" >&2
        exit 2
        ;;
esac
SHIM
rm -f "$rootfs"/var/cache/apt/archives/*.deb
rm -rf "$rootfs"/var/lib/apt/lists/*
echo "ensure-ee-base: importing as $IMAGE"
tar -C "$rootfs" -c . | docker import --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
echo "ensure-ee-base: built $IMAGE"
