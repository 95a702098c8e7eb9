#!/usr/bin/env bash
# Makes a place where ansible-test runs on the working tree, offline; called by
# tests/sanity/ansible-test.sh (sanity) and tests/matrix/ansible-test-units.sh
# (units). Prints the copy's path (WORK_DIR/ansible_collections/halb/cluster).
#
# usage: tests/sanity/ansible-test-tree.sh BIN_DIR WORK_DIR LABEL
#   BIN_DIR   the venv with the pinned ansible-core (its ansible-test and python)
#   WORK_DIR  where the copy of the collection goes
#   LABEL     the word the messages (on stderr) start with
#
# 1. Its pip bootstrap script is tests/sanity/get_pip.py (see there),
#    installed under the name ansible-test looks for; a real get-pip.py
#    already there is kept.
# 2. ansible-test wants to run from .../ansible_collections/halb/cluster, and
#    it resolves symlinks: the src-farm link is refused ("The current working
#    directory must be within the source tree being tested"). So the files git
#    would list (tracked and not ignored: the working tree as it is, other
#    people's uncommitted work included) are copied there afresh. The copy gets
#    its own empty git repository: otherwise ansible-test finds the checkout's
#    .git above it, where build/ is ignored, and tests nothing.
set -euo pipefail

bin=$1
work=$2
label=$3
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
tree=$work/ansible_collections/halb/cluster
python=$bin/python
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# --- the pip bootstrap stand-in, under the name ansible-test looks for ------
pip_version=$("$python" -c 'import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="'"$pyver"'"))["pip"])')
cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -e "$cache" ] || { ! cmp -s "$here/get_pip.py" "$cache" && grep -q '^# Stand-in for pip' "$cache"; }; then
    install -D -m 0644 "$here/get_pip.py" "$cache"
    echo "$label: pip bootstrap stand-in installed as $cache" >&2
elif ! cmp -s "$here/get_pip.py" "$cache"; then
    echo "$label: keeping the pip bootstrap script already in $cache (not ours: a real get-pip.py)" >&2
fi

# --- a fresh copy of the working tree ------------------------------------------
rm -rf "$work/ansible_collections"
mkdir -p "$tree"
(
    cd "$checkout"
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' path; do
            # tracked files deleted in the working tree are not copied
            if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\0' "$path"; fi
        done |
        tar --null --no-recursion -T - -cf -
) | tar -C "$tree" -xf -
git -C "$tree" init -q
echo "$tree"
