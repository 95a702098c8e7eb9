#!/usr/bin/env bash
# One row of the ansible-core matrix (make matrix), from the checkout's root:
#   tests/matrix/run.sh VERSION VENV COLLECTIONS
# VERSION is the ansible-core minor the venv must hold (2.16), VENV the venv,
# COLLECTIONS a collection path with halb.cluster (this tree).
# Runs the unit tests (tests/unit but the benchmarks' tests and those of the
# Molecule verifiers' helpers (container reads, SteadyLoad), which need
# docker (and matplotlib) and do not use ansible-core), `ansible-playbook
# --syntax-check` of every playbook with the example inventory, and the
# filter play; prints the seconds of each step and a summary line.
# MATRIX_UNITS=0 leaves the unit tests out (the pinned version, when `make
# unit` runs them in the same CI job).
set -euo pipefail
version=${1:?ansible-core minor, e.g. 2.16}
venv=${2:?venv directory}
collections=${3:?collection path}
bin=$venv/bin
export ANSIBLE_COLLECTIONS_PATH=$collections ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PYTHONDONTWRITEBYTECODE=1

core=$("$bin/python" -c 'from ansible.release import __version__; print(__version__)')
py=$("$bin/python" -c 'import platform; print(platform.python_version())')
if [[ $core != "$version".* ]]; then
	echo "matrix $version: the venv $venv holds ansible-core $core" >&2
	exit 1
fi
echo "=== matrix: ansible-core $core on Python $py"
counts=none
log=$(mktemp)
trap 'rm -f "$log"' EXIT
summary=()
step() { # step NAME COMMAND...: run it, remember its seconds
	local name=$1 start=$SECONDS
	shift
	"$@"
	summary+=("$name $((SECONDS - start)) s,")
}

units() {
	"$bin/python" -m pytest -q -p no:cacheprovider --ignore tests/unit/benchmarks \
		--ignore tests/unit/test_container_reads.py --ignore tests/unit/test_steady_load.py \
		tests/unit | tee "$log"
	counts=$(grep -E '^[0-9]+ (passed|failed)' "$log" | tail -1 | sed -E 's/ in [0-9.]+s.*//')
}

syntax() {
	local playbook
	for playbook in site.yml playbooks/*.yml; do
		"$bin/ansible-playbook" --syntax-check -i inventories/example \
			--vault-password-file inventories/example/example-vault-password.txt "$playbook"
	done
}

filters() {
	"$bin/ansible-playbook" -i localhost, -c local -e "ansible_python_interpreter=$bin/python" \
		tests/matrix/filters.yml
}

if [ "${MATRIX_UNITS:-1}" = 0 ]; then
	counts="not run: MATRIX_UNITS=0"
else
	step units units
fi
step syntax syntax
step filters filters
echo "=== matrix: ansible-core $core on Python $py: unit tests ($counts), ${summary[*]} $SECONDS s in all"
