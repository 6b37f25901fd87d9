# actionlab: common tasks. `make help` lists them.

PY ?= python3
VENV ?= .venv
ARGS ?=

PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LINT_PATHS := actionlab widgets tests bench

.DEFAULT_GOAL := help
.PHONY: help venv install run system-deps frontend frontend-deps test check lint format clean distclean bench bench-room bench-rooms

help: ## List the targets
	@echo "Usage: make <target> [PY=python3] [VENV=.venv] [ARGS=...]"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST) \
		| sed 's|$$(VENV)|$(VENV)|g'


$(PYTHON):
	$(PY) -m venv $(VENV)

# Re-install only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP) ## Create $(VENV) (if missing) and install the package with test extras

install: $(STAMP) ## Same as venv

run: install ## Demo workshop on the embedded SQLite store (once), then serve; e.g. make run ARGS=--room
	$(VENV)/bin/actionlab demo --if-missing
	$(VENV)/bin/actionlab serve $(ARGS)

system-deps: ## Install missing Debian packages the tests need (chromium, CJK fonts, PostgreSQL, poppler, nginx, Node.js)
	@set -e; \
	pkgs=""; \
	command -v chromium >/dev/null 2>&1 || pkgs="$$pkgs chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || pkgs="$$pkgs fonts-noto-cjk"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs="$$pkgs postgresql"; \
	dpkg -s poppler-utils >/dev/null 2>&1 || command -v pdftotext >/dev/null 2>&1 || pkgs="$$pkgs poppler-utils"; \
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || pkgs="$$pkgs nginx"; \
	command -v npm >/dev/null 2>&1 || pkgs="$$pkgs nodejs npm"; \
	if [ -z "$$pkgs" ]; then echo "system-deps: all present"; exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "system-deps: apt-get not available; install these yourself:$$pkgs (tests that need them will be skipped)"; \
		exit 0; \
	fi; \
	sudo=""; \
	if [ "$$(id -u)" != 0 ]; then \
		if command -v sudo >/dev/null 2>&1; then sudo=sudo; \
		else echo "system-deps: not root and no sudo; install these yourself:$$pkgs"; exit 0; fi; \
	fi; \
	echo "system-deps: installing$$pkgs"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$pkgs

# The pages' front end is built from templates/frontend/ into the template's static folder and
# committed, so serving needs no Node.js; the tests rebuild it to check it matches its source.
FRONTEND := templates/frontend
FRONTEND_STAMP := $(FRONTEND)/node_modules/.installed

$(FRONTEND_STAMP): $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	@touch $(FRONTEND_STAMP)

frontend-deps: $(FRONTEND_STAMP) ## Install the front end's build tools (npm ci in templates/frontend)

frontend: $(FRONTEND_STAMP) ## Build the pages' front end (templates/frontend -> the template's static/frontend.js)
	cd $(FRONTEND) && npm run build

test: system-deps install frontend-deps ## All tests: unit, integration (CLI, exporters, PostgreSQL) and ui (Voila + browser)
	$(PYTHON) -m pytest tests

check: install ## Lint and unit tests (under a minute)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(PYTHON) -m pytest -q -n 2 -m "not slow" tests/unit

lint: install ## ruff check
	$(VENV)/bin/ruff check $(LINT_PATHS)

format: install ## ruff format (rewrites files)
	$(VENV)/bin/ruff format $(LINT_PATHS)

clean: ## Remove build artefacts and caches (keeps $(VENV))
	rm -rf build dist test-artifacts .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -type d -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and remove $(VENV) too
	rm -rf $(VENV)

bench: system-deps install ## Benchmarks: store (poll and write latency), exports (time and memory per format, against a plain notebook)
	@status=0; \
	$(PYTHON) bench/bench_store.py || status=1; \
	$(PYTHON) bench/bench_export.py || status=1; \
	exit $$status

bench-room: system-deps install ## Room benchmark: N Chromium pages join, edits reach the projector, kernel memory; against plain Voila (N=40: ARGS="--n 40")
	$(PYTHON) bench/bench_room.py $(ARGS)

bench-rooms: system-deps install ## Rooms benchmark: 200 simulated people over 5 rooms on one PostgreSQL, against plain Voila
	$(PYTHON) bench/bench_rooms.py $(ARGS)
