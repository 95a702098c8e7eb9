#!/usr/bin/env bash
# usage: scripts/molecule-why.sh SCENARIO LOG
#
# Repeats, at the end of a failed `molecule test`, the lines that say why it
# failed: pytest's FAILED/ERROR summary and its first `E` lines, and
# Ansible's fatal/failed task results. A CI log is often read from its tail,
# where molecule's recap says only "Verifier tests failed"; the reason is
# hundreds of lines above. Bounded: at most 25 lines of 600 characters.
#
# Molecule frames the output of the commands it runs ("  │ " before each
# line) and wraps long lines at the terminal's width (continuations indented
# by two more spaces): the frame is taken off and a wrapped line joined again.
set -uo pipefail

scenario=$1
log=$2
[[ -r ${log} ]] || { echo "molecule-why: no log ${log}" >&2; exit 0; }

plain() {
	sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "${log}" | awk '
		{
			framed = sub(/^  (│|└|┌) ?/, "")
			if (framed && prev != "" && /^  [^ ]/) { prev = prev " " substr($0, 3); next }
			if (prev != "") print prev
			prev = $0
			if (prev == "") { print ""; prev = "" }
		}
		END { if (prev != "") print prev }'
}
cut_lines() { cut -c1-600; }

echo "=== why molecule test -s ${scenario} failed (the whole log: ${log})"
plain | grep -E '^(FAILED|ERROR) [^ ]+\.py' | head -n 10 | cut_lines
plain | grep -E '^E  ' | grep -vE '^E +FAILED - RETRYING' | head -n 4 | cut_lines
plain | grep -E '^(E +)?((fatal|failed): \[|\[ERROR\]: )' | head -n 8 | cut_lines
plain | grep -E 'Executed: Failed' | head -n 3 | cut_lines
exit 0
