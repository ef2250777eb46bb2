# Ballast: the two commands are `make run` and `make test`. Both set the machine up first:
# a private venv holding uv (.tools/), the workspace venv (.venv/, from uv.lock) and the
# contracts toolchain (contracts/node_modules, from package-lock.json).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced
NPM_DONE := contracts/node_modules/.installed
DEPLOY_TOOLS_DONE := deploy/tools/node_modules/.installed
PYTEST_ARGS ?=

.PHONY: setup run test lint typecheck unit contracts bench docs clean

setup: $(SYNCED) $(NPM_DONE) $(DEPLOY_TOOLS_DONE)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(SYNCED): $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml cli/pyproject.toml)
	$(UV) sync --frozen --all-packages
	@touch $@

$(NPM_DONE): contracts/package-lock.json
	cd contracts && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# the pinned kubectl (kustomize) and PromQL grammar the deploy/ tests check against
$(DEPLOY_TOOLS_DONE): deploy/tools/package-lock.json
	cd deploy/tools && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	$(BIN)/ballast up

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/pyright

test: setup lint typecheck
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

unit: setup
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

contracts: $(NPM_DONE)
	cd contracts && node scripts/compile.mjs

docs: setup
	$(BIN)/python -m ballast.common.asyncapi > docs/asyncapi.yaml
	$(BIN)/python -c 'from ballast.gateway.api import render_openapi; print(render_openapi(), end="")' > docs/openapi.json

bench: setup
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(TOOLS) .ballast contracts/node_modules deploy/tools/node_modules
