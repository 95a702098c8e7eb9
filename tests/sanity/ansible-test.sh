#!/usr/bin/env bash
# ansible-test sanity on the working tree, offline (called by `make sanity`).
#
# usage: tests/sanity/ansible-test.sh BIN_DIR WORK_DIR [ansible-test sanity options...]
#   BIN_DIR   the venv with the pinned ansible-core (its ansible-test and python)
#   WORK_DIR  where the copy of the collection goes (WORK_DIR/ansible_collections/halb/cluster)
#
# 1. ansible-test wants to run from .../ansible_collections/halb/cluster, and
#    it resolves symlinks: the src-farm link is refused ("The current working
#    directory must be within the source tree being tested"). So the files git
#    would list (tracked and not ignored: the working tree as it is, other
#    people's uncommitted work included) are copied there afresh. The copy gets
#    its own empty git repository: otherwise ansible-test finds the checkout's
#    .git above it, where build/ is ignored, and tests nothing.
# 2. Its pip bootstrap script is tests/sanity/get_pip.py (see there).
# 3. Only the controller's Python (the venv's) is given to --python: the
#    machine has no other, and our targets' Pythons are covered by molecule.
set -euo pipefail

bin=$1
work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
tree=$work/ansible_collections/halb/cluster
python=$bin/python
export PATH="$bin:$PATH"
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# --- the pip bootstrap stand-in, under the name ansible-test looks for ------
pip_version=$("$python" -c 'import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="'"$pyver"'"))["pip"])')
cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -e "$cache" ] || { ! cmp -s "$here/get_pip.py" "$cache" && grep -q '^# Stand-in for pip' "$cache"; }; then
    install -D -m 0644 "$here/get_pip.py" "$cache"
    echo "sanity: pip bootstrap stand-in installed as $cache"
elif ! cmp -s "$here/get_pip.py" "$cache"; then
    echo "sanity: keeping the pip bootstrap script already in $cache (not ours: a real get-pip.py)"
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
