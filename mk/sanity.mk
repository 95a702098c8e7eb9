# `make sanity`: ansible-test sanity and galaxy-importer, offline, as a Galaxy
# maintainer would run them (tests/sanity/README.md says what runs and why).
#
# ansible-test is the test venv's (the pinned ansible-core); it runs on a copy
# of the working tree under build/sanity/ansible_collections/halb/cluster
# (tests/sanity/ansible-test.sh). galaxy-importer has its own venv
# (requirements-sanity.txt) and imports a tarball built into build/sanity-importer.

SANITY_WORK := $(BUILD)/sanity
SANITY_VENV := $(BUILD)/sanity-venv
SANITY_STAMP := $(SANITY_VENV)/.halb-requirements-sanity.stamp
SANITY_IMPORTER := $(BUILD)/sanity-importer
# Extra options for `ansible-test sanity`, e.g. SANITY_ARGS="--test pylint".
SANITY_ARGS ?=

.PHONY: sanity sanity-ansible-test sanity-importer sanity-tools sanity-requirements

# Both always run (one's failure does not hide the other's findings); the
# target fails when either failed.
sanity: ## ansible-test sanity + galaxy-importer on the tarball (offline)
	@status=0; \
	$(MAKE) --no-print-directory sanity-ansible-test || status=1; \
	$(MAKE) --no-print-directory sanity-importer || status=1; \
	exit $$status

sanity-tools: ## shellcheck for ansible-test's shellcheck test (Debian package)
	scripts/ensure-sanity-tools.sh

sanity-ansible-test: venv sanity-tools ## ansible-test sanity --local on a copy of the working tree (SANITY_ARGS=...)
	tests/sanity/ansible-test.sh $(BIN) $(SANITY_WORK) $(SANITY_ARGS)

# The collection declares no dependency, so the importer's ansible-lint
# needs no other collection in the venv (Galaxy itself is not reachable).
$(SANITY_STAMP): requirements-sanity.txt $(VENV_STAMP)
	@test -x $(SANITY_VENV)/bin/python || $(PYTHON) -m venv $(SANITY_VENV)
	$(SANITY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-sanity.txt
	@touch $@

sanity-importer: $(SANITY_STAMP) ## galaxy-importer on a freshly built tarball (build/sanity-importer)
	rm -rf $(SANITY_IMPORTER)
	mkdir -p $(SANITY_IMPORTER)
	$(BIN)/ansible-galaxy collection build --force --output-path $(SANITY_IMPORTER) .
	$(SANITY_VENV)/bin/python tests/sanity/run_galaxy_importer.py $(SANITY_IMPORTER)/halb-cluster-*.tar.gz $(SANITY_IMPORTER)/import

sanity-requirements: ## regenerate requirements-sanity.txt from requirements-sanity.in (scratch venv)
	$(call pin_requirements,requirements-sanity.in,requirements-sanity.txt,sanity-requirements)
