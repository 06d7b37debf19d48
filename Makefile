# hyperv.mobility — set-up, lab, demo and tests.
# `make demo` and `make test` do all set-up themselves on a fresh Debian machine (run as root or with sudo).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Python 3.11 is the supported controller Python; Debian 12's python3 is 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

# The lab (tests/lab/hvlab) and where `make lab-up` keeps its state (tests use their own temporary state folders).
HOSTS ?= 3
DC ?= 0
STATE_DIR ?= $(CURDIR)/tests/lab/.state
LAB := PYTHONPATH=$(CURDIR)/tests/lab $(PY) -m hvlab

# Ansible finds this repository as the collection hyperv.mobility through a symlinked collections tree.
COLLECTIONS_ROOT := $(CURDIR)/.build/collections
COLLECTION_LINK := $(COLLECTIONS_ROOT)/ansible_collections/hyperv/mobility
# ansible-test wants a real copy under an ansible_collections/<namespace>/<name> path.
SANITY_ROOT := $(CURDIR)/.build/ansible_collections/hyperv/mobility

# Nothing the targets run writes outside this repository: ANSIBLE_HOME puts ansible-core's local tmp and galaxy cache, and
# ansible-compat's cache (molecule's ephemeral folders and collection installs: it finds this repository already linked in
# .build/collections and installs nothing), under .build/; async jobs run from the controller keep their status there too.
ANSIBLE_HOME_DIR := $(CURDIR)/.build
ANSIBLE_ENV := ANSIBLE_HOME=$(ANSIBLE_HOME_DIR) ANSIBLE_ASYNC_DIR=$(ANSIBLE_HOME_DIR)/async \
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS_ROOT) ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
	ANSIBLE_PYTHON_INTERPRETER=$(PY) ANSIBLE_FORCE_COLOR=false PATH=$(BIN):$$PATH
# ansible-test keeps its pip bootstrap in ~/.ansible/test/cache whatever ANSIBLE_HOME says: `make sanity` gives it a home in
# .build/ (pip still reads the user's own configuration from XDG_CONFIG_HOME).
ANSIBLE_TEST_HOME := $(CURDIR)/.build/ansible-test-home
DEMO_PLAYBOOK := playbooks/live_migration.yml

.PHONY: help setup system-packages demo test home-check pytest molecule bench sanity lint static static-ruff static-mypy changelog-lint lab-up lab-down playbook clean

# Every target, one line each (`make help`); a test of the repository checks that no target is missing here.
help:
	@echo "make demo            set up, start the lab (3 hosts + Samba DC), host facts, the mesh, a VM round the ring, the mesh again (changed=0)"
	@echo "make test            set up, then every stage of TEST_STAGES: $(TEST_STAGES), then home-check"
	@echo "make home-check      after make test: fails when a stage wrote into its home directory (outside the repository)"
	@echo "make setup           .venv with pinned Python packages + Debian packages from bindep.txt + the collections tree in .build"
	@echo "make system-packages the Debian packages of bindep.txt (apt-get, skipped when installed)"
	@echo "make pytest          unit, lab and integration tests (PYTEST_ARGS=..., INTEGRATION_WORKERS=$(INTEGRATION_WORKERS))"
	@echo "make molecule        the molecule scenarios of extensions/molecule on lab hosts"
	@echo "make sanity          ansible-test sanity on a copy in .build/ansible_collections/hyperv/mobility"
	@echo "make lint            ansible-lint (production profile) over playbooks/ and roles/"
	@echo "make static          ruff (plugins/, tests/lab) and mypy (plugins/)"
	@echo "make static-ruff     ruff only (make static-mypy: mypy only)"
	@echo "make changelog-lint  antsibull-changelog lint"
	@echo "make docs            antsibull-docs lint and reference, guides, sphinx-build -W into .build/docs/html"
	@echo "make ee              ansible-builder create for execution-environment.yml, and a check of its context"
	@echo "make release-check   build the collection, install it into a fresh path, ansible-doc -l"
	@echo "make bench           the benchmarks of benchmarks/ (BENCH_ARGS=--quick for a short run)"
	@echo "make lab-up          start the lab in the background (HOSTS=$(HOSTS), DC=1 adds a Samba AD DC); state in $(STATE_DIR)"
	@echo "make lab-down        stop the lab started by lab-up"
	@echo "make playbook        PLAYBOOK=... against the lab-up inventory"
	@echo "make clean           stop the lab, remove .venv, .build, tests/output and the lab state"

## ---- set-up -------------------------------------------------------------------------------------------

setup: system-packages $(VENV)/.requirements-installed $(COLLECTION_LINK)

system-packages:
	@bash scripts/install_system_packages.sh bindep.txt

$(VENV)/.requirements-installed: requirements.txt requirements-test.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	@touch $@

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

## ---- the lab -------------------------------------------------------------------------------------------

lab-up: setup
	$(LAB) up --hosts $(HOSTS) $(if $(filter 1 yes true,$(DC)),--dc) --state-dir $(STATE_DIR)
	@echo "inventory: $(STATE_DIR)/inventory.yml"

lab-down:
	@if [ -x $(PY) ]; then $(LAB) down --state-dir $(STATE_DIR); fi

# Run a playbook against the lab that `make lab-up` started: make playbook PLAYBOOK=playbooks/host_info.yml
PLAYBOOK ?= $(DEMO_PLAYBOOK)
playbook: setup
	$(ANSIBLE_ENV) ansible-playbook -i $(STATE_DIR)/inventory.yml $(PLAYBOOK)

# Two hosts (hv01 over psrp, hv02 over winrm) and a Samba DC; the second run must report changed=0.
demo: setup
	@trap '$(LAB) down --state-dir $(STATE_DIR)' EXIT; \
	$(LAB) up --hosts 3 --dc --state-dir $(STATE_DIR); \
	run() { echo; echo "==> $$1"; $(ANSIBLE_ENV) ansible-playbook -i $(STATE_DIR)/inventory.yml "$${@:2}" | tee $(STATE_DIR)/demo-last-run.log; }; \
	run "host facts, hv01 and hv03 over psrp, hv02 over winrm" playbooks/host_info.yml; \
	run "live migration mesh: delegation in AD, new SYSTEM Kerberos tickets where it changed, live migration on every host, preflight of every direction" \
		$(DEMO_PLAYBOOK) -e live_migration_mesh_purge_tickets=true; \
	run "move a VM hv01 -> hv02 -> hv03 -> hv01" playbooks/move_ring.yml; \
	run "the mesh again (idempotent: expect changed=0)" $(DEMO_PLAYBOOK) -e live_migration_mesh_purge_tickets=true; \
	if grep -E 'changed=[1-9]' $(STATE_DIR)/demo-last-run.log; then echo "second run changed something" >&2; exit 1; fi; \
	echo; echo "==> demo done: the second run changed nothing"


## ---- tests -------------------------------------------------------------------------------------------

# Every stage runs even when an earlier one failed, so one run shows every problem; the exit code is
# non-zero if any stage failed.
TEST_STAGES := static pytest molecule sanity lint changelog-lint docs ee release-check
# The stages run with HOME set to this empty folder: whatever a tool writes into a home directory (~/.ansible/collections,
# ~/.ansible/tmp, ~/.ansible_async, ~/.cache, ...) lands there instead of the user's home, and `make test` fails naming it.
SENTINEL_HOME := $(CURDIR)/.build/home-sentinel

test: setup
	@failed=(); rm -rf $(SENTINEL_HOME); mkdir -p $(SENTINEL_HOME); \
	for stage in $(TEST_STAGES); do \
		started=$$(date +%s); \
		HOME=$(SENTINEL_HOME) USER_HOME="$${USER_HOME:-$$HOME}" $(MAKE) --no-print-directory $$stage || failed+=("$$stage"); \
		echo "==> make $$stage: $$(( $$(date +%s) - started )) s"; \
	done; \
	$(MAKE) --no-print-directory home-check || failed+=(home-check); \
	if [ $${#failed[@]} -gt 0 ]; then echo "FAILED stages: $${failed[*]}" >&2; exit 1; fi; \
	echo "all test stages passed: $(TEST_STAGES) home-check"

# After the stages of `make test`: nothing may have been written into a home directory (the stages' HOME, see above).
home-check:
	@written="$$(cd $(SENTINEL_HOME) 2>/dev/null && find . -mindepth 1 | sort | head -50)"; \
	if [ -n "$$written" ]; then \
		echo "make test wrote outside the repository (into the home directory of its stages, $(SENTINEL_HOME)):" >&2; \
		echo "$$written" >&2; \
		if [ -e $(SENTINEL_HOME)/.ansible/collections/ansible_collections/hyperv ]; then \
			echo "  ~/.ansible/collections/ansible_collections/hyperv would shadow the collection a user installs later" >&2; fi; \
		exit 1; \
	fi; echo "home-check: nothing written outside the repository"

# Unit tests, the lab's own tests and the integration tests (real ansible-playbook against the lab and Samba),
# one pytest process each (see pytest.ini); all run, the target fails if any failed.
PYTEST_SUITES := tests/unit tests/lab tests/integration
PYTEST_ARGS ?=
# The integration tests mostly wait on ansible-playbook processes and labs; two workers (each with labs and a
# Samba DC of its own on free ports and addresses) keep the suite's wall time down on a 2-core machine.
INTEGRATION_WORKERS ?= 2

pytest: setup
	@failed=(); \
	for suite in $(PYTEST_SUITES); do \
		[ -d "$$suite" ] || continue; \
		echo "==> pytest $$suite"; \
		workers=(); [ "$$suite" = tests/integration ] && workers=(-n $(INTEGRATION_WORKERS) --dist loadfile); \
		$(ANSIBLE_ENV) $(PY) -m pytest $(PYTEST_ARGS) "$${workers[@]}" --durations=15 "$$suite" || failed+=("$$suite"); \
	done; \
	if [ $${#failed[@]} -gt 0 ]; then echo "FAILED pytest suites: $${failed[*]}" >&2; exit 1; fi

# Molecule scenarios (extensions/molecule): each starts and stops a lab of its own on free ports (the lab's own create/destroy
# playbooks under HVLAB_PATH), so they run beside `make lab-up` and the pytest labs.
MOLECULE_SCENARIOS := live_migration_host live_migration_mesh replica
molecule: setup
	@failed=(); \
	for scenario in $(MOLECULE_SCENARIOS); do \
		echo "==> molecule test -s $$scenario"; \
		HVLAB_PATH=$(CURDIR)/tests/lab $(ANSIBLE_ENV) molecule test -s $$scenario </dev/null || failed+=("$$scenario"); \
	done; \
	if [ $${#failed[@]} -gt 0 ]; then echo "FAILED molecule scenarios: $${failed[*]}" >&2; exit 1; fi

sanity: setup
	HOME=$(ANSIBLE_TEST_HOME) $(PY) scripts/seed_ansible_test_pip.py
	@mkdir -p $(SANITY_ROOT)
	rsync -a --delete --filter=':- .gitignore' \
		--exclude=/.git/ --exclude=/.venv --exclude=/.build --exclude=/tests/output --exclude=/tests/lab/.state \
		$(CURDIR)/ $(SANITY_ROOT)/
	@# The copy sits inside this repository's ignored .build/: its own (empty) git repository makes ansible-test
	@# list the copied files (git ls-files --cached --others --exclude-standard) instead of none.
	@test -d $(SANITY_ROOT)/.git || git -C $(SANITY_ROOT) init --quiet
	cd $(SANITY_ROOT) && PATH=$(BIN):$$PATH HOME=$(ANSIBLE_TEST_HOME) XDG_CONFIG_HOME="$${XDG_CONFIG_HOME:-$${USER_HOME:-$$HOME}/.config}" \
		ansible-test sanity --venv --python 3.11 --color no

lint: setup
	$(ANSIBLE_ENV) ansible-lint --offline $(wildcard playbooks roles)

# ruff and mypy with the pinned versions and the repository's ruff.toml / mypy.ini (also the pre-commit hooks).
static: static-ruff static-mypy

static-ruff: setup
	$(BIN)/ruff check plugins tests/lab

static-mypy: setup
	$(BIN)/mypy -p ansible_collections.hyperv.mobility.plugins

changelog-lint: setup
	$(ANSIBLE_ENV) $(BIN)/antsibull-changelog lint

clean: lab-down
	rm -rf $(VENV) .build tests/output $(STATE_DIR) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Benchmarks (figures printed and written to docs/performance.md; never asserted as times).
# The issue's whole matrix by default; BENCH_ARGS=--quick for a short run, --help for the options.
bench: setup
	$(ANSIBLE_ENV) $(PY) benchmarks/run_all.py $(BENCH_ARGS)

# docs, ee, release-check
include docs.mk
