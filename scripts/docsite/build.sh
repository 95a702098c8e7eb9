#!/usr/bin/env bash
# The collection's docsite, offline (make docs; see mk/docs.mk).
#
#   scripts/docsite/build.sh [--lint-only] OUT
#
# With antsibull-docs, Sphinx and myst-parser on PATH (the docs venv) and
# DOCS_EXTRA_COLLECTIONS (optional) naming more collection directories:
#   1. antsibull-docs lint-collection-docs --plugin-docs . (the collection's
#      plugin and role docs, docs/docsite/);
#   2. OUT/site: `antsibull-docs sphinx-init` for halb.cluster from the source
#      tree, intersphinx off (halb_docsite.py resolves references to Ansible's
#      docs without fetching), myst-parser on;
#   3. OUT/site/rst: the pages antsibull-docs renders, then the Markdown
#      guides of docs/ and their pictures (stage_guides.py);
#   4. OUT/html: sphinx-build -W (any warning fails), log in OUT/sphinx.log;
#   5. check_site.py: the pages counted, none malformed, every local link and
#      picture in the site.
# Every step runs; the script fails at the end when one failed, and says which.
set -euo pipefail

lint_only=false
if [ "${1:-}" = --lint-only ]; then
	lint_only=true
	shift
fi
out=${1:?usage: $0 [--lint-only] OUT}
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/scripts/docsite"
mkdir -p "$out"
out=$(cd "$out" && pwd)
start=$(date +%s)

# Nothing here needs the network: in a network namespace of its own (root
# can make one), a step that tried would fail at once instead of timing out.
nonet=()
if unshare --net true 2>/dev/null; then
	nonet=(unshare --net --)
else
	echo "docs: cannot make a network namespace here; building without one"
fi

# halb.cluster from the source tree, through a link farm of the docs' own;
# DOCS_EXTRA_COLLECTIONS (the test venv's collections) after it.
farm="$out/collections"
mkdir -p "$farm/ansible_collections/halb"
ln -sfn "$root" "$farm/ansible_collections/halb/cluster"
export ANSIBLE_COLLECTIONS_PATH="$farm${DOCS_EXTRA_COLLECTIONS:+:$DOCS_EXTRA_COLLECTIONS}"
# ansible-doc's home (caches) in OUT, not ~/.ansible.
export ANSIBLE_HOME="$out/ansible-home"

failed=()

echo "docs: antsibull-docs lint-collection-docs --plugin-docs ."
if ! (cd "$root" && "${nonet[@]}" antsibull-docs lint-collection-docs --plugin-docs .) >"$out/lint.log" 2>&1; then
	failed+=("lint-collection-docs ($(wc -l <"$out/lint.log") lines in $out/lint.log)")
fi
cat "$out/lint.log"
if $lint_only; then
	if [ ${#failed[@]} -gt 0 ]; then
		echo "docs: FAILED: ${failed[*]}" >&2
		exit 1
	fi
	echo "docs: lint-collection-docs passed ($(($(date +%s) - start)) s)"
	exit 0
fi

site="$out/site"
html="$out/html"
rm -rf "$site" "$html"
mkdir -m 0755 "$site" # antsibull-docs wants it writable by its owner only
"${nonet[@]}" antsibull-docs sphinx-init --use-current --squash-hierarchy \
	--project halb.cluster --title "halb.cluster" --html-short-title "halb.cluster" \
	--dest-dir "$site" halb.cluster >/dev/null
cat >>"$site/conf.py" <<EOF

# --- make docs (scripts/docsite/build.sh) ---------------------------------
# Offline: no intersphinx (it downloads inventories); halb_docsite resolves
# the references to Ansible's docsite instead. The guides are Markdown.
import sys

sys.path.insert(0, $(python -c 'import sys; print(repr(sys.argv[1]))' "$here"))
extensions = [e for e in extensions if e != "sphinx.ext.intersphinx"]
extensions += ["myst_parser", "halb_docsite"]
intersphinx_mapping = {}
myst_heading_anchors = 6
EOF

echo "docs: antsibull-docs collection --use-current halb.cluster"
mkdir -p "$site/rst"
chmod og-w "$site/rst" # antsibull-docs wants it writable by its owner only
(cd "$site" && "${nonet[@]}" antsibull-docs --config-file antsibull-docs.cfg collection \
	--cleanup everything --use-current --squash-hierarchy --dest-dir rst halb.cluster) \
	>"$out/collection.log" 2>&1 || failed+=("antsibull-docs collection (see $out/collection.log)")
# Its errors are the pages it renders as malformed: one line a plugin.
sed -nE 's/^ERROR:antsibull:.*:plugin_name=([^:]+):plugin_type=([a-z]+)\|.*(did not return correct [A-Z, ]+).*/docs: malformed: \1 (\2): \3/p' \
	"$out/collection.log"

python "$here/stage_guides.py" "$root/docs" "$site/rst/docsite" ||
	failed+=("stage_guides (docs/ and docs/docsite/extra-docs.yml disagree)")

echo "docs: sphinx-build -W --keep-going"
if ! (cd "$site" && "${nonet[@]}" sphinx-build -b html -W --keep-going -q -c . \
	-w "$out/sphinx-warnings.log" rst "$html") >"$out/sphinx.log" 2>&1; then
	failed+=("sphinx-build: $(grep -c 'WARNING\|ERROR' "$out/sphinx-warnings.log" || true) warnings (in $out/sphinx-warnings.log)")
fi
cat "$out/sphinx-warnings.log"

if [ -d "$html" ]; then
	python "$here/check_site.py" "$html" "$root/docs" || failed+=("check_site")
fi

seconds=$(($(date +%s) - start))
if [ ${#failed[@]} -gt 0 ]; then
	printf 'docs: FAILED after %s s:\n' "$seconds" >&2
	printf '  - %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "docs: $html/index.html ($seconds s)"
