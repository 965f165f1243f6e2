# Autonome: `make demo` runs the product, `make test` passes the tests.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo drill test lint bench campaign fuzz venv clean screenshots office-screenshots image image-test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# the product on one screen: a demo store, a till window with simulated devices, the
# demo panel (scanner, receipts, a switch that unplugs the server)
demo: $(STAMP)
	$(VENV)/bin/autonome demo

drill: $(STAMP)
	$(VENV)/bin/autonome drill

lint: $(STAMP)
	$(VENV)/bin/ruff check appliance drivers tests bench testbed images
	$(VENV)/bin/ruff format --check appliance drivers tests bench testbed images
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m bench

# a signed A/B update bundle of the slot file system `make image` built
# (build/image/ROLE-rootfs.ext4 -> build/image/ROLE.raucb); KEYS=DIR: the integrator's
# keys folder (ca.cert.pem, signing.cert.pem, signing.key.pem), else development keys
# made on first use in ~/.cache/autonome-images/keys
ROLE ?= till
.PHONY: bundle
bundle: $(STAMP)
	$(PY) -m images.update.bundle --role $(ROLE) $(if $(KEYS),--keys $(KEYS)) \
		$(if $(ROOTFS),--rootfs $(ROOTFS)) $(if $(VERSION),--version $(VERSION))

# the till's screens at 1024x768 and 1280x800 (docs/screenshots; a demo server on loopback)
screenshots: $(STAMP)
	$(PY) -m appliance.ui.screenshots docs/screenshots

# the back office's pages in headless Chromium (docs/screenshots/office-*.png)
office-screenshots: $(STAMP)
	$(PY) -m testbed.office_screenshots docs/screenshots

# the fault campaign on a LAN of network namespaces (root): SEED= and N= replay a run
N ?= 200
campaign: $(STAMP)
	$(PY) -m testbed.campaign -n $(N) $(if $(SEED),--seed $(SEED))

# the fuzz tests alone, more cases and a seed of their own (printed; AUTONOME_FUZZ_SEED=S replays)
CASES ?= 20000
fuzz: $(STAMP)
	AUTONOME_FUZZ_CASES=$(CASES) AUTONOME_FUZZ_EXAMPLES=2000 \
	AUTONOME_FUZZ_SEED=$${AUTONOME_FUZZ_SEED:-random} $(PY) -m pytest -q -s -o timeout=3600 tests/fuzz

# an appliance disk image (root, Debian 12): build/image/ROLE.img and ROLE.img.zst
# (NO_COMPRESS=1: no .zst, an image to boot here and make bundles from)
ROLE ?= till
image: $(STAMP)
	$(PY) -m images.build --role $(ROLE) $(if $(NO_COMPRESS),--no-compress)

# the appliance tests in QEMU: both images, a server VM and a till VM (slow)
image-test: $(STAMP)
	AUTONOME_IMAGE_FULL=1 $(PY) -m pytest -q -o timeout=3600 tests/image

# buildroot/ loaded into a real Buildroot (a source tree, not part of the repo): each
# defconfig's make + show-info, every option kept in .config, utils/check-package clean
BUILDROOT ?=
.PHONY: buildroot-check
buildroot-check:
	@test -n "$(BUILDROOT)" || { echo "usage: make buildroot-check BUILDROOT=/path/to/buildroot"; exit 2; }
	scripts/buildroot-check $(BUILDROOT)

clean:
	rm -rf $(VENV) .pytest_cache
