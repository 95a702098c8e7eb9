#!/usr/bin/env bash
# `ansible-test units` on the working tree, as a collection's CI runs it
# (called by `make unit-ansible-test`).
#
# usage: tests/matrix/ansible-test-units.sh BIN_DIR WORK_DIR [ansible-test units options...]
#   BIN_DIR   the venv with the pinned ansible-core (its ansible-test and python)
#   WORK_DIR  where the copy of the collection goes (WORK_DIR/ansible_collections/halb/cluster)
#
# ansible-test runs from .../ansible_collections/halb/cluster and resolves
# symlinks (it refuses the src-farm link), so the files git would list are
# copied there, with an empty git repository of their own, as
# tests/sanity/ansible-test.sh does for sanity. ansible-test makes its own
# venv (--venv) and installs its unit-test requirements and
# tests/unit/requirements.txt into it (--requirements; pip bootstraps with the
# stand-in tests/sanity/get_pip.py, installed under the name ansible-test looks for).
set -euo pipefail

bin=$(cd "$1" && pwd)
mkdir -p "$2"; work=$(cd "$2" && pwd)
shift 2
here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
tree=$work/ansible_collections/halb/cluster
python=$bin/python
export PATH="$bin:$PATH"
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

pip_version=$("$python" -c 'import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="'"$pyver"'"))["pip"])')
cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -e "$cache" ]; then
	install -D -m 0644 "$checkout/tests/sanity/get_pip.py" "$cache"
	echo "units: pip bootstrap stand-in installed as $cache"
fi

rm -rf "$work/ansible_collections"
mkdir -p "$tree"
(
	cd "$checkout"
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' path; do
			if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\0' "$path"; fi
		done |
		tar --null --no-recursion -T - -cf -
) | tar -C "$tree" -xf -
git -C "$tree" init -q

cd "$tree"
start=$SECONDS
status=0
"$bin/ansible-test" units --venv --python "$pyver" --requirements "$@" || status=$?
echo "units: ansible-test units (Python $pyver) took $((SECONDS - start)) s, exit $status"
exit "$status"
