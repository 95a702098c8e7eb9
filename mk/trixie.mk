# Debian 13 (trixie): its base image and the whole-stack scenario on it
# (molecule/trixie). `make image` builds bookworm's; these add trixie's.

.PHONY: image-trixie molecule-trixie

image-trixie: engine ## the halb/debian-systemd:trixie base image (debootstrap, Debian 13)
	scripts/ensure-image.sh trixie

# `make molecule S=trixie` and molecule-all need the trixie image as well.
molecule: $(if $(filter trixie,$(S)),image-trixie)
molecule-all: image-trixie

molecule-trixie: ## the whole stack on Debian 13: molecule test -s trixie (about 14 min on 2 busy cores)
	$(MAKE) --no-print-directory molecule S=trixie
