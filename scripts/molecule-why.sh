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

# The log without colours, molecule's frame and Ansible's retry lines, wrapped
# lines joined: read once.
text=$(sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "${log}" | awk '
	{
		framed = sub(/^  (│|└|┌) ?/, "")
		if (framed && line != "" && /^  [^ ]/) { line = line " " substr($0, 3); next }
		if (NR > 1) print line
		line = $0
	}
	END { if (NR) print line }' | grep -v 'FAILED - RETRYING')
pick() { grep -E "$1" <<<"${text}" | head -n "$2" | cut -c1-600; }

echo "=== why molecule test -s ${scenario} failed (the whole log: ${log})"
pick '^(FAILED|ERROR) [^ ]+\.py' 10
pick '^E  ' 4
pick '^(E +)?((fatal|failed): \[|\[ERROR\]: )' 8
pick 'Executed: Failed' 3
exit 0
