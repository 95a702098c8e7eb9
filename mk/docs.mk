# The docsite (antsibull-docs + Sphinx): every module, filter and role page
# from the collection's own documentation, and the guides of docs/ (Markdown,
# read by myst-parser) with their pictures, in build/docs/html/.
#
#   make docs        lint-collection-docs, then the docsite, then its checks
#                    (scripts/docsite/build.sh); fails on a lint error, on
#                    any Sphinx warning (-W), on a malformed page (the error
#                    page antsibull-docs writes for documentation it cannot
#                    parse), on a link or picture missing from the site.
#                    About a minute with the venvs in place.
#   make docs-lint   antsibull-docs lint-collection-docs --plugin-docs .
#                    alone (about 25 s)
#   make docs-pages  docs/docsite/rst/<guide>.rst for each docs/<guide>.md,
#                    from its title: after adding a guide (then list it in
#                    docs/docsite/extra-docs.yml) or changing a guide's title
#
# Offline: intersphinx is off (it downloads inventories, which times out
# here); scripts/docsite/halb_docsite.py resolves the references to Ansible's
# docs instead, and the build runs in a network namespace of its own when the
# machine allows it, so a step that tried the network would fail at once.
# The tools run from their own venv (requirements-docs.txt); the collection
# needs no other collection.

DOCS := $(BUILD)/docs
DOCS_VENV := $(BUILD)/docs-venv
DOCS_BIN := $(DOCS_VENV)/bin
DOCS_STAMP := $(DOCS_VENV)/.halb-requirements.stamp
# halb.cluster from the source tree (a link farm of the docs' own), then the
# test venv's collections (other collections' plugins a reference may name).
DOCS_ENV = PATH="$(DOCS_BIN):$$PATH" DOCS_EXTRA_COLLECTIONS="$(SITE_PACKAGES)"

.PHONY: docs docs-lint docs-pages docs-venv docs-requirements

docs-venv: $(DOCS_STAMP)

$(DOCS_STAMP): requirements-docs.txt
	@test -x $(DOCS_BIN)/python || $(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-docs.txt
	@touch $@

docs: venv $(DOCS_STAMP) ## the docsite in build/docs/html (antsibull-docs, offline, 0 malformed pages, guides of docs/)
	$(DOCS_ENV) scripts/docsite/build.sh $(DOCS)

docs-lint: venv $(DOCS_STAMP) ## antsibull-docs lint-collection-docs --plugin-docs . (part of make docs)
	$(DOCS_ENV) scripts/docsite/build.sh --lint-only $(DOCS)

docs-pages: $(DOCS_STAMP) ## docs/docsite/rst/<guide>.rst from the title of each docs/<guide>.md
	$(DOCS_BIN)/python scripts/docsite/stage_guides.py --pages docs

docs-requirements: ## regenerate requirements-docs.txt from requirements-docs.in (scratch venv)
	$(call pin_requirements,requirements-docs.in,requirements-docs.txt,docs-requirements)
