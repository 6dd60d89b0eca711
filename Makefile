# TicketSafe — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

TOOLS := $(CURDIR)/.tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install run cli test lint format typecheck pytest bench migrate clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced ## Create .venv and install the locked dependencies

run: install ## Run TicketSafe on its embedded default at https://localhost:8443
	$(UV) run --frozen ticketsafe serve

cli: install ## Run the ticketsafe command: make cli ARGS="rotate-keys --new-key" (beside make run)
	$(UV) run --frozen ticketsafe $(ARGS)

test: install lint typecheck pytest ## Lint, type-check and run every test (real servers)

lint: install ## ruff format --check and ruff check (src, tests, bench)
	$(UV) run --frozen ruff format --check src tests bench
	$(UV) run --frozen ruff check src tests bench

format: install ## Format and auto-fix with ruff
	$(UV) run --frozen ruff format src tests bench
	$(UV) run --frozen ruff check --fix src tests bench

typecheck: install ## mypy --strict over src and tests
	$(UV) run --frozen mypy

pytest: install ## Run the tests only
	$(UV) run --frozen pytest

bench: install ## Flash-sale benchmark (PRESET=smoke|medium|large|full, FAULTS=1 to inject faults, LOADERS=n, APIS=n, ACTIVE=n, HOLD_LANE=0 for holds in the shared pool; URL=https://host:port [CA=ca.pem] to run against a deployment already running)
	$(UV) run --frozen ticketsafe bench --preset $(or $(PRESET),smoke) $(if $(FAULTS),--faults) $(if $(LOADERS),--loaders $(LOADERS)) $(if $(APIS),--api-processes $(APIS)) $(if $(filter 0,$(HOLD_LANE)),--no-hold-lane) $(if $(ACTIVE),--target-active $(ACTIVE)) $(if $(URL),--url $(URL)) $(if $(CA),--ca-file $(CA)) --results bench/RESULTS.md

migrate: install ## Apply schema migrations (needs TICKETSAFE_MONGO_URL/REDIS_URL)
	$(UV) run --frozen ticketsafe migrate

clean: ## Remove the environment, caches and the embedded data directory
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache .ticketsafe
