#!/usr/bin/env bash
# ansible-test sanity on the working tree, offline (called by `make sanity`).
#
# usage: tests/sanity/ansible-test.sh BIN_DIR WORK_DIR [ansible-test sanity options...]
#   BIN_DIR   the venv with the pinned ansible-core (its ansible-test and python)
#   WORK_DIR  where the copy of the collection goes (WORK_DIR/ansible_collections/halb/cluster)
#
# 1. ansible-test runs on a fresh copy of the working tree, with the pip
#    bootstrap stand-in in place (tests/sanity/ansible-test-tree.sh says why).
# 2. Only the controller's Python (the venv's) is given to --python: the
#    machine has no other, and our targets' Pythons are covered by molecule.
set -euo pipefail

bin=$(cd "$1" && pwd)
mkdir -p "$2"; work=$(cd "$2" && pwd)
shift 2
here=$(cd "$(dirname "$0")" && pwd)
python=$bin/python
export PATH="$bin:$PATH"
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

tree=$("$here/ansible-test-tree.sh" "$bin" "$work" sanity)

# --- the tests ---------------------------------------------------------------------
cd "$tree"
# Each "Running sanity test" line gets the seconds since the start, so that
# the log shows what each test costs.
start=$SECONDS
status=0
"$bin/ansible-test" sanity --local --python "$pyver" "$@" 2>&1 |
    while IFS= read -r line; do
        case $line in
            "Running sanity test"*) printf '[%4d s] %s\n' "$((SECONDS - start))" "$line" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done || status=$?
echo "sanity: ansible-test sanity (Python $pyver) took $((SECONDS - start)) s, exit $status"
exit "$status"
