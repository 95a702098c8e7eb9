# The execution environment (EE): the image AWX / Automation Platform runs
# the collection in (docs/ee.md).
#
#   make ee               build it: halb/ee:<version>-<hash> (and halb/ee:<version>)
#   make ee-test          molecule test -s ee: site.yml through ansible-navigator in
#                         that image, twice (the second run changed=0), then a venv
#                         ansible-playbook run (changed=0 too)
#   make ee-requirements  regenerate requirements-ee.txt from requirements-ee.in
#
# No registry, no pulls: the base image is built with debootstrap
# (scripts/ensure-ee-base.sh), every Python wheel the image installs is
# downloaded HERE with this machine's own pip configuration into
# build/ee/context-src/wheels (pinned by requirements-ee.txt) and installed in
# the image from that directory with --no-index, and the collection is the
# tarball `make collection` builds. ansible-builder 3 (pinned, its own venv
# build/ee-venv) writes the build context from execution-environment.yml and
# `docker build` builds it. The tag's hash covers everything that goes into
# the image, so a repeated `make ee` with nothing changed only checks that the
# image exists.

EE_VENV := $(BUILD)/ee-venv
EE_BIN := $(EE_VENV)/bin
EE_STAMP := $(EE_VENV)/.halb-requirements-ee.stamp
EE_DIR := $(BUILD)/ee
EE_BASE_IMAGE := halb/ee-base:bookworm
EE_REPO := halb/ee

.PHONY: ee ee-test ee-requirements ee-venv

ee-venv: $(EE_STAMP)

$(EE_STAMP): requirements-ee.txt
	@test -x $(EE_BIN)/python || $(PYTHON) -m venv $(EE_VENV)
	$(EE_BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-ee.txt
	@touch $@

ee: engine collection ee-venv ## the execution environment image halb/ee:<version>-<hash> (ansible-builder, no registry)
	scripts/ensure-ee.sh $(EE_BIN) $(BIN) $(EE_DIR) $(EE_BASE_IMAGE) $(EE_REPO) $(BUILD)

# `make test` runs the scenario in a lane with the others (TEST_SCENARIOS)
# and builds the image before the lanes start.
ee-test: ee image ## molecule test -s ee: site.yml through ansible-navigator in the EE, idempotent
	@install -d -m 0700 $(MOLECULE_LOGS)
	$(call molecule_test,ee)

ee-requirements: ## regenerate requirements-ee.txt from requirements-ee.in (scratch venv)
	$(call pin_requirements,requirements-ee.in,requirements-ee.txt,ee-requirements)
