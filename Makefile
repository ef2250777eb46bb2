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
PROMTOOL := $(TOOLS)/bin/promtool
PYTEST_ARGS ?=

.PHONY: setup run test lint typecheck unit contracts bench docs clean

setup: $(SYNCED) $(NPM_DONE) $(DEPLOY_TOOLS_DONE) $(PROMTOOL)

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

# promtool, for `promtool test rules` (tests/deploy/test_prometheus_rules.py): one on PATH is
# linked; else the binary alone is unpacked from Debian's `prometheus` package into .tools/bin
# (no Prometheus server installed or started). `apt-get update` runs first, as root only, when
# the package cannot be downloaded yet. Without it the rule tests fail and say what to install.
$(PROMTOOL): | $(UV)
	@if command -v promtool >/dev/null 2>&1; then ln -sf "$$(command -v promtool)" $@; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  tmp=$$(mktemp -d); \
	  { (cd $$tmp && apt-get download prometheus >/dev/null 2>&1) || \
	    { [ "$$(id -u)" = 0 ] && apt-get update -qq >/dev/null && \
	      (cd $$tmp && apt-get download prometheus >/dev/null 2>&1); }; } && \
	  dpkg-deb -x $$tmp/prometheus_*.deb $$tmp/x && install -m 0755 $$tmp/x/usr/bin/promtool $@; \
	  rm -rf $$tmp; \
	fi; \
	if [ -x $@ ]; then $@ --version 2>&1 | head -1; \
	else echo "promtool not installed: install Debian's 'prometheus' package (apt-get install prometheus) or put promtool on PATH"; fi

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
