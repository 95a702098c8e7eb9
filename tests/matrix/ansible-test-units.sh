#!/usr/bin/env bash
# `ansible-test units` on the working tree, as a collection's CI runs it
# (called by `make unit-ansible-test`).
#
# usage: tests/matrix/ansible-test-units.sh BIN_DIR WORK_DIR [ansible-test units options...]
#   BIN_DIR   the venv with the pinned ansible-core (its ansible-test and python)
#   WORK_DIR  where the copy of the collection goes (WORK_DIR/ansible_collections/halb/cluster)
#
# ansible-test runs from .../ansible_collections/halb/cluster and resolves
# symlinks (it refuses the src-farm link): tests/sanity/ansible-test-tree.sh
# copies the files git would list there, as for sanity. ansible-test makes its own
# venv (--venv) and installs its unit-test requirements and
# tests/unit/requirements.txt into it (--requirements; pip bootstraps with the
# stand-in tests/sanity/get_pip.py, installed under the name ansible-test looks for).
set -euo pipefail

bin=$(cd "$1" && pwd)
mkdir -p "$2"; work=$(cd "$2" && pwd)
shift 2
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
python=$bin/python
export PATH="$bin:$PATH"
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

tree=$("$checkout/tests/sanity/ansible-test-tree.sh" "$bin" "$work" units)

cd "$tree"
start=$SECONDS
status=0
"$bin/ansible-test" units --venv --python "$pyver" --requirements "$@" || status=$?
echo "units: ansible-test units (Python $pyver) took $((SECONDS - start)) s, exit $status"
exit "$status"
