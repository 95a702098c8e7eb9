# The changelog (antsibull-changelog): changelogs/changelog.yaml is the
# record, CHANGELOG.rst is rendered from it, and changelogs/fragments/ holds
# what changed since the last release (one YAML file a change; see
# changelogs/fragments/README.md for the format and the sections).
#
#   make changelog          CHANGELOG.rst from changelogs/changelog.yaml
#                           (offline, a few seconds, idempotent)
#   make changelog-check    fails when a fragment or changelog.yaml is
#                           invalid, or CHANGELOG.rst is not what
#                           `make changelog` renders
#   make changelog-release  records the release of galaxy.yml's version: the
#                           fragments (then removed) and every module, plugin
#                           and role whose version_added is that version go
#                           into changelog.yaml; playbooks come from
#                           fragments (`add object.playbook`). Run again
#                           before the version is published, it adds what
#                           came since to the same release and keeps its date.
#                           Descriptions of modules, plugins and roles are
#                           refreshed from their documentation each time.
#
# antsibull-changelog runs from its own venv (requirements-changelog.txt),
# with the ansible-core the test venv pins: the release asks its ansible-doc
# which modules, filters and roles exist (on a copy of the collection that
# antsibull-changelog makes; nothing is fetched).

CHANGELOG_VENV := $(BUILD)/changelog-venv
CHANGELOG_BIN := $(CHANGELOG_VENV)/bin
CHANGELOG_STAMP := $(CHANGELOG_VENV)/.halb-requirements.stamp
ANTSIBULL_CHANGELOG := $(CHANGELOG_BIN)/antsibull-changelog

.PHONY: changelog changelog-check changelog-release changelog-venv changelog-requirements

changelog-venv: $(CHANGELOG_STAMP)

$(CHANGELOG_STAMP): requirements-changelog.txt
	@test -x $(CHANGELOG_BIN)/python || $(PYTHON) -m venv $(CHANGELOG_VENV)
	$(CHANGELOG_BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-changelog.txt
	@touch $@

changelog: $(CHANGELOG_STAMP) ## CHANGELOG.rst from changelogs/changelog.yaml (antsibull-changelog, offline)
	$(ANTSIBULL_CHANGELOG) generate

changelog-check: $(CHANGELOG_STAMP) ## fail on an invalid fragment or changelog.yaml, or a stale CHANGELOG.rst
	$(ANTSIBULL_CHANGELOG) lint
	$(ANTSIBULL_CHANGELOG) lint-changelog-yaml --strict changelogs/changelog.yaml
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(ANTSIBULL_CHANGELOG) generate --output "$$tmp/CHANGELOG.rst" --output-format rst; \
	if ! diff -u CHANGELOG.rst "$$tmp/CHANGELOG.rst"; then \
		echo "CHANGELOG.rst is stale: run 'make changelog' and commit it" >&2; exit 1; \
	fi
	@echo "changelog: fragments, changelog.yaml and CHANGELOG.rst are consistent"

# The version and, when changelog.yaml has it already, its release date.
CHANGELOG_VERSION = $$($(CHANGELOG_BIN)/python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
CHANGELOG_DATE = $$($(CHANGELOG_BIN)/python -c 'import sys, yaml; \
	r = (yaml.safe_load(open("changelogs/changelog.yaml")).get("releases") or {}).get(sys.argv[1]); \
	print(r["release_date"] if r else "")' "$$version")

changelog-release: $(CHANGELOG_STAMP) ## add galaxy.yml's version, its fragments and new plugins/roles to changelog.yaml
	@version=$(CHANGELOG_VERSION); date=$(CHANGELOG_DATE); \
	set -x; \
	$(ANTSIBULL_CHANGELOG) release --version "$$version" --reload-plugins --refresh-plugins prevent-removal \
		--ansible-doc-bin $(CHANGELOG_BIN)/ansible-doc \
		$${date:+--update-existing --date "$$date"}
	@# The plugin cache is only good for the run that made it.
	rm -f changelogs/.plugin-cache.yaml
	$(MAKE) --no-print-directory changelog-check

changelog-requirements: ## regenerate requirements-changelog.txt from requirements-changelog.in (scratch venv)
	$(call pin_requirements,requirements-changelog.in,requirements-changelog.txt,changelog-requirements)
