#!/usr/bin/env bash
# Make sure commands from Debian's packages are installed; called by the
# scripts/ensure-*-tools.sh scripts. Idempotent: does nothing when every
# command is there; apt-get uses the machine's configured sources.
#
# usage: scripts/ensure-packages.sh LABEL COMMAND=PACKAGE...
#   LABEL    the word the messages start with (the calling script's name)
#   COMMAND  a command name (looked up on PATH) or an absolute path (must be
#            executable); PACKAGE the Debian package that provides it
set -euo pipefail

label=$1
shift
missing=()
for pair in "$@"; do
    command=${pair%%=*}
    package=${pair#*=}
    case $command in
        /*) [ -x "$command" ] || missing+=("$package") ;;
        *) command -v "$command" >/dev/null || missing+=("$package") ;;
    esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "$label: missing ${missing[*]} and I am not root; install them (Debian packages)." >&2
    exit 1
fi
echo "$label: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
