# Two commands on a fresh machine with python3 and make: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
export DAGSTER_HOME ?= $(CURDIR)/.dagster
FROM ?= 1995
TO ?= 2023
# Project-specific names: a generic HOST/PORT exported by the shell (HOST=0.0.0.0 is common in
# containers) must not open the UI, which can launch runs, to the network.
RVC_UI_HOST ?= 127.0.0.1
RVC_UI_PORT ?= 3000
N ?= 1000000
YEAR ?= 2019

# A job and its options for `make launch` (dg launch), e.g. make launch JOB=yearly_refresh PARTITION=2019
JOB ?= yearly_refresh
PARTITION ?=

.PHONY: demo test docs ui backfill validate launch sample lock bench browser-deps cluster-deps cluster-demo clean help

help:
	@echo "make demo      create .venv, install, run every asset on the bundled sample, print where results are"
	@echo "make test      install dev extras and run the test suite"
	@echo "make docs      render docs/reject_reasons.md and the README's indicator catalog from their data tables"
	@echo "make ui        Dagster UI + daemon (dg dev) on http://$(RVC_UI_HOST):$(RVC_UI_PORT); prints and opens the lineage"
	@echo "make backfill FROM=1995 TO=2023   run a year range without the daemon (summary and exit status)"
	@echo "make validate  dg check defs (load and validate the definitions)"
	@echo "make launch JOB=yearly_refresh PARTITION=2019   dg launch: one job run in this process"
	@echo "make bench N=1000000 YEAR=2019   pipeline stages vs a plain DuckDB plan (time, peak RSS)"
	@echo "make cluster-demo [FROM=2019 TO=2020] [UI=1]   PostgreSQL, Redis, S3 (moto), 2 Celery workers on 127.0.0.1:"
	@echo "                  backfill the years into s3:// through the workers, then stop everything it started"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip>=24"

# Installs are stamped so repeated make calls do not reinstall; changing the pins re-runs them.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

$(DAGSTER_HOME)/dagster.yaml:
	@mkdir -p $(DAGSTER_HOME)
	@cp deploy/dagster.yaml $@

demo: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/rvc demo

backfill: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/rvc backfill --from $(FROM) --to $(TO)

test: $(VENV)/.installed-dev browser-deps cluster-deps
	$(BIN)/python -m pytest

# Pages rendered from data tables (tests fail when the committed ones differ from the rendering).
docs: $(VENV)/.installed
	$(BIN)/python -m assets.transforms.cleaning.reject_reasons
	$(BIN)/python scripts/render_readme.py

# The browser test drives Debian's chromium; installed here so a fresh CI machine has it.
browser-deps:
	@bash scripts/ensure_chromium.sh

# The cluster test and demo start Debian's postgresql and redis-server (throwaway instances on 127.0.0.1).
cluster-deps:
	@bash scripts/ensure_cluster_services.sh

# docs/deploy.md. FROM/TO as for backfill (default: every year of the sample); UI=1 keeps the UI up until Ctrl-C.
cluster-demo: $(VENV)/.installed-dev cluster-deps
	$(BIN)/python scripts/cluster_demo.py --from $(FROM) --to $(TO) $(if $(UI),--ui --port $(RVC_UI_PORT))

# `rvc ui` runs dg dev (dagster-dg-cli reads [tool.dg] in pyproject.toml) after creating the instance's
# tables, then prints the lineage address once the UI answers and opens it in a desktop session
# (pipelines/ui.py). NO_BROWSER=1 only prints it.
ui: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/rvc ui --host $(RVC_UI_HOST) --port $(RVC_UI_PORT) $(if $(NO_BROWSER),--no-browser)

validate: $(VENV)/.installed
	$(BIN)/dg check defs

launch: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dg launch --job $(JOB) $(if $(PARTITION),--partition $(PARTITION))

sample: $(VENV)/.installed
	$(BIN)/python -m sample.generate

# The heavy yearly stages (pipeline, via Dagster) against a plain DuckDB plan on a generated year of N rows;
# docs/performance.md. Extra flags: BENCH_ARGS="--stages raw,clean,reference,trade_flows --skip-plain".
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench.py --rows $(N) --year $(YEAR) $(BENCH_ARGS)

# Re-resolve the pinned set from pyproject ranges (needs network to the package index).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv && .lockenv/bin/pip install --quiet -e ".[dev]"
	( echo "# Resolved dependency set (pip freeze of a clean install, Python 3.11). make installs with -c constraints.txt"; \
	  echo "# so an install next year resolves the same. Regenerate with 'make lock'."; \
	  .lockenv/bin/pip freeze --exclude-editable ) > constraints.txt
	rm -rf .lockenv

clean:
	rm -rf warehouse .dagster
