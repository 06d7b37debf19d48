# Docs site, execution environment and release checks of hyperv.mobility.
# Included by the Makefile (`include docs.mk`), which defines PY, BIN, ANSIBLE_ENV and the `setup` target.

DOCS_BUILD_DIR ?= $(CURDIR)/.build/docs
EE_CONTEXT_DIR ?= $(CURDIR)/.build/ee

.PHONY: docs ee release-check

# antsibull-docs lint + module/filter/role reference + the guides in docs/docsite -> HTML in $(DOCS_BUILD_DIR)/html;
# any Sphinx warning fails the target.
docs: setup
	$(ANSIBLE_ENV) BIN=$(BIN) DOCS_BUILD_DIR=$(DOCS_BUILD_DIR) bash scripts/build_docs.sh

# ansible-builder create (writes the build context, no container engine needed) and a check of what the context installs.
ee: setup
	$(ANSIBLE_ENV) BIN=$(BIN) bash scripts/ee.sh $(EE_CONTEXT_DIR)

# ansible-galaxy collection build: no local state in the tarball, it installs into a fresh path, ansible-doc lists every module.
release-check: setup
	$(ANSIBLE_ENV) $(PY) scripts/release_check.py
