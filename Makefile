# QA Workbench. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
ENV_STAMP := $(VENV)/.installed
DEMO := data/demo
DEMO_STAMP := $(DEMO)/.complete

.PHONY: help env demo report browser java test audit lint format lab bench lock clean docs screenshots

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(ENV_STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q qaworkbench
	@touch $@

env: $(ENV_STAMP) ## Create .venv and install the locked environment

$(DEMO_STAMP): $(ENV_STAMP) qaworkbench/demo.py qaworkbench/demo_conversations.py qaworkbench/demo_sample.py templates/sampling/hotline.yaml $(wildcard templates/scorecards/*.yaml)
	$(BIN)/qaw demo --out $(DEMO) --samples reports/samples --force  # the QA team works from its own samples
	@touch $@

demo: $(DEMO_STAMP) ## Build the demo center into data/demo (if missing or outdated)

report: $(DEMO_STAMP) ## Set up, build the demo center, then its latest weekly and monthly reports
	$(BIN)/qaw validate $(DEMO)
	$(BIN)/qaw autoqa --month 2026-10 --data $(DEMO)
	$(BIN)/qaw score --month 2026-10 --data $(DEMO)
	$(BIN)/qaw report weekly --period 2026-W43 --data $(DEMO)
	$(BIN)/qaw report monthly --period 2026-10 --data $(DEMO)

browser: ## Install Debian's Chromium, a CJK font and pdftotext for the page tests (root, apt)
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null && fc-list | grep -qi "wenquanyi" || { \
	  if [ "$$(id -u)" != 0 ]; then echo "run 'sudo make browser' (needs apt-get for chromium, fonts-wqy-microhei, poppler-utils)"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei poppler-utils >/dev/null; }

java: ## Install Debian's Java 17 for the Spark engine and its tests (root, apt)
	@command -v java >/dev/null || { \
	  if [ "$$(id -u)" != 0 ]; then echo "run 'sudo make java' (needs apt-get for openjdk-17-jre-headless)"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

test: $(DEMO_STAMP) browser java ## Set up and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n auto --dist worksteal  # every core; a slow file no longer holds one worker

audit: $(DEMO_STAMP) browser ## Security review: pinned versions vs .ci/advisories.json (offline), bad inputs, injection, privacy
	$(BIN)/python .ci/audit_deps.py
	$(BIN)/pytest -q -p no:cacheprovider tests/test_audit.py tests/test_bad_inputs.py \
	  tests/test_injection.py tests/test_privacy.py tests/test_os_failures.py

lint: $(ENV_STAMP) ## Lint and check formatting with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(ENV_STAMP) ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: $(DEMO_STAMP) ## Open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/

bench: $(ENV_STAMP) ## Run the benchmarks under bench/ (builds a 2,000-agent center once)
	$(BIN)/python bench/run.py

docs: $(ENV_STAMP) ## Build the documentation site (zh and en) into site/, warnings as errors
	PYTHONPATH=. NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site  # the hooks import docs_build

screenshots: $(DEMO_STAMP) browser ## Regenerate the docs' screenshots from the demo center (Chromium)
	$(BIN)/python docs_build/screenshots.py --data $(DEMO) --out docs/assets/screenshots

lock: ## Re-resolve requirements.lock from pyproject.toml, refresh and check the advisory list
	@test -x $(BIN)/uv || $(MAKE) env
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra docs --python-version 3.11 --quiet \
	  --custom-compile-command "make lock" -o requirements.lock
	$(BIN)/python .ci/audit_deps.py --refresh

clean: ## Remove the environment, generated data and reports
	rm -rf $(VENV) data/demo data/bench reports/* rejects .pytest_cache site
