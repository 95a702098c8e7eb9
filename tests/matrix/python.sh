#!/usr/bin/env bash
# Print the path of a working Python interpreter for `make matrix`.
#   tests/matrix/python.sh NAME_OR_PATH ANSIBLE_CORE_VERSION
# NAME_OR_PATH is what MATRIX_PY_<version> says (python3.12, or a path). A
# pyenv shim on PATH answers `command -v` even when its version is not active,
# so the candidate must also run; then pyenv's own versions are tried
# (newest patch first), then /usr/bin and /usr/local/bin.
set -euo pipefail
want=${1:?interpreter name or path}
core=${2:?ansible-core version}
# The interpreter itself (not a shim, nor the python of a venv such as .venv,
# which make puts first on PATH), if it runs and can make a venv.
real() {
	"$1" -c 'import ensurepip, os, sys, venv
print(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))' 2>/dev/null
}
candidates=("$want")
base=$(basename "$want")
if [[ $base =~ ^python([0-9]+\.[0-9]+)$ ]]; then
	minor=${BASH_REMATCH[1]}
	root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
	while IFS= read -r dir; do
		candidates+=("$dir/bin/$base")
	done < <(find "$root/versions" -mindepth 1 -maxdepth 1 -name "$minor.*" 2>/dev/null | sort -rV)
	candidates+=("/usr/local/bin/$base" "/usr/bin/$base")
fi
for py in "${candidates[@]}"; do
	if path=$(command -v "$py" 2>/dev/null) && exe=$(real "$path") && [ -n "$exe" ]; then
		echo "$exe"
		exit 0
	fi
done
echo "make matrix: no working '$want' for ansible-core $core (tried: ${candidates[*]})." >&2
echo "  Install that Python (with venv and ensurepip), or name one: make matrix MATRIX_PY_$core=/path/to/python3.X" >&2
exit 1
