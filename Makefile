# notary — the two commands are `make run` and `make test`; every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
STATIC_STAMP := api/static/vendor/.built
PAGE_STAMP := api/static/build/.built
PAGE_SOURCES := $(shell find api/static/js -name '*.js')
CHROMIUM ?= /usr/bin/chromium
export NOTARY_DATA_DIR ?= $(CURDIR)/.notary

.PHONY: run test install sysdeps postgres-server chain-up chain-down lint lint-js pytest jstest forge contracts clean-data chromium run-cluster bench soak

install: $(PY_STAMP) $(NODE_STAMP) $(STATIC_STAMP) $(PAGE_STAMP)

$(PY_STAMP): pyproject.toml
	@$(MAKE) --no-print-directory sysdeps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Front-end files copied from the pinned npm packages (build output, git-ignored).
$(STATIC_STAMP): $(PY_STAMP) $(NODE_STAMP) scripts/build_static.py
	$(PY) scripts/build_static.py
	@touch $@

# The pages' JavaScript bundled by esbuild with source maps (build output, git-ignored).
$(PAGE_STAMP): $(STATIC_STAMP) scripts/build_page.mjs $(PAGE_SOURCES)
	node scripts/build_page.mjs
	@touch $@

# PyICU (TR39 look-alike keys of issuer names) compiles against the system's ICU.
sysdeps:
	@pkg-config --exists icu-uc 2>/dev/null && command -v g++ >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libicu-dev pkg-config g++ >/dev/null; \
	  else echo "ICU headers missing: run 'sudo apt-get install libicu-dev pkg-config g++'" >&2; exit 1; fi; }

# Debian's PostgreSQL server binaries, for the throwaway server that the tests and
# run-cluster start when nothing answers at their URL (notary/ops/devdb.py); never started here.
postgres-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "PostgreSQL binaries missing (only needed when no server answers): 'sudo apt-get install postgresql'" >&2; fi; }

# Debian's chromium for the browser tests (Playwright's own browser download does not work offline).
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi; }

contracts: install
	$(PY) scripts/build_contracts.py

chain-up: install
	$(VENV)/bin/notary chain up

chain-down: install
	$(VENV)/bin/notary chain down

run: install
	$(VENV)/bin/notary dev

# PostgreSQL (NOTARY_DATABASE_URL, or a database created on the machine's server, or a
# throwaway server when none answers), Anvil mining every 2 s, 2 API processes on
# NOTARY_PORT and 2 workers (one leads).
run-cluster: install postgres-server
	$(VENV)/bin/notary cluster

# Every benchmark in one table (BENCH_ARGS=--quick for smaller sizes).
bench: install
	$(PY) scripts/bench_all.py $(BENCH_ARGS)

# The 10-minute soak with faults against a throwaway cluster (SOAK_ARGS to change it).
soak: install
	$(PY) scripts/soak.py $(SOAK_ARGS)

forge: install
	node_modules/@foundry-rs/forge-linux-amd64/bin/forge test --gas-report

lint: install
	$(VENV)/bin/ruff check notary api tests scripts
	$(VENV)/bin/ruff format --check notary api tests scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	$(MAKE) --no-print-directory lint-js

# The page's JavaScript type-checked from its JSDoc by TypeScript (checkJs, no output):
# the pages' modules (tsconfig.json), the workers in their own global scope, and core/
# without the DOM's types, so a DOM call there fails.
lint-js: install
	node_modules/.bin/tsc -p tsconfig.json
	node_modules/.bin/tsc -p tsconfig.workers.json
	node_modules/.bin/tsc -p tsconfig.core.json

pytest: install chromium postgres-server
	$(PY) -m pytest

# The page's DOM-free modules against the shared vectors (Node's own test runner, no browser).
jstest: install
	node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON --test tests/js/

test: install chromium
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory forge
	$(MAKE) --no-print-directory jstest
	$(MAKE) --no-print-directory pytest

clean-data:
	rm -rf $(NOTARY_DATA_DIR)
