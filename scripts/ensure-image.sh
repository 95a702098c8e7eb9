#!/usr/bin/env bash
# Build the Debian systemd base images used by the lab and the Molecule
# scenarios, each unless it exists. No registry is reachable, so an image is
# made with debootstrap and `docker import` (see docs/testing.md).
#
#   scripts/ensure-image.sh                  halb/debian-systemd:bookworm
#   scripts/ensure-image.sh bookworm trixie  both (Debian 12 and 13)
#
# Each suite becomes halb/debian-systemd:<suite> (HALB_IMAGE names the image
# when one suite is built; HALB_SUITE is the suite when none is given).
# debootstrap uses its default mirror unless HALB_MIRROR names one.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    set -- "${HALB_SUITE:-bookworm}"
fi
MIRROR=${HALB_MIRROR:-}
PACKAGES=python3,iproute2,procps,systemd,systemd-sysv,dbus,iputils-ping,ca-certificates

ensure_debootstrap() {
    if command -v debootstrap >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "ensure-image: debootstrap is missing and I am not root to install it." >&2
        exit 1
    fi
    echo "ensure-image: installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
}

# build SUITE IMAGE: debootstrap SUITE into a scratch directory, import it.
build() {
    local suite=$1 image=$2 rootfs
    if [ ! -e "/usr/share/debootstrap/scripts/$suite" ]; then
        echo "ensure-image: this debootstrap does not know the suite '$suite'" >&2
        exit 1
    fi
    rootfs=$(mktemp -d /var/tmp/halb-rootfs.XXXXXX)
    # shellcheck disable=SC2064 # expand now: the directory of this call
    trap "rm -rf '$rootfs' '$rootfs.log'" EXIT
    echo "ensure-image: debootstrap $suite into $rootfs (about a minute)"
    # Without HALB_MIRROR, no mirror argument: debootstrap's default.
    debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$rootfs" ${MIRROR:+"$MIRROR"} \
        >"$rootfs.log" 2>&1 \
        || { tail -n 30 "$rootfs.log" >&2; exit 1; }
    # Units that make no sense in a container or slow its boot down.
    for unit in getty.target systemd-resolved.service systemd-timesyncd.service; do
        ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
    done
    rm -f "$rootfs/etc/machine-id" && : >"$rootfs/etc/machine-id"
    rm -f "$rootfs"/var/cache/apt/archives/*.deb
    echo "ensure-image: importing as $image"
    tar -C "$rootfs" -c . | docker import --change 'CMD ["/lib/systemd/systemd"]' - "$image" >/dev/null
    rm -rf "$rootfs" "$rootfs.log"
    trap - EXIT
    echo "ensure-image: built $image"
}

for suite in "$@"; do
    if [ "$#" -eq 1 ] && [ -n "${HALB_IMAGE:-}" ]; then
        image=$HALB_IMAGE
    else
        image=halb/debian-systemd:$suite
    fi
    if docker image inspect "$image" >/dev/null 2>&1; then
        continue
    fi
    ensure_debootstrap
    build "$suite" "$image"
done
