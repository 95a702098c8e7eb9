#!/usr/bin/env bash
# Build the Debian systemd base image used by the lab and the Molecule
# scenarios, unless it exists. No registry is reachable, so the image is made
# with debootstrap and `docker import` (see docs/testing.md).
set -euo pipefail

SUITE=${HALB_SUITE:-bookworm}
IMAGE=${HALB_IMAGE:-halb/debian-systemd:${SUITE}}
MIRROR=${HALB_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3,iproute2,procps,systemd,systemd-sysv,dbus,iputils-ping,ca-certificates

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "ensure-image: debootstrap is missing and I am not root to install it." >&2
        exit 1
    fi
    echo "ensure-image: installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
fi

ROOTFS=$(mktemp -d /var/tmp/halb-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
echo "ensure-image: debootstrap $SUITE into $ROOTFS (about a minute)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 \
    || { tail -n 30 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; exit 1; }
rm -f "$ROOTFS.log"
# Units that make no sense in a container or slow its boot down.
for unit in getty.target systemd-resolved.service systemd-timesyncd.service; do
    ln -sf /dev/null "$ROOTFS/etc/systemd/system/$unit"
done
rm -f "$ROOTFS/etc/machine-id" && : >"$ROOTFS/etc/machine-id"
apt_clean="$ROOTFS/var/cache/apt/archives"
rm -f "$apt_clean"/*.deb
echo "ensure-image: importing as $IMAGE"
tar -C "$ROOTFS" -c . | docker import --change 'CMD ["/lib/systemd/systemd"]' - "$IMAGE" >/dev/null
echo "ensure-image: built $IMAGE"
