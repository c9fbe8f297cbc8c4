# Celeriac developer tasks. Run `make` or `make help` for the list.

SWIFT ?= swift
PG = scripts/pg.sh

# Recursively expanded (`?=`), so scripts/pg.sh only runs when a recipe needs it; `url` is
# cheap and side-effect free. Override to point at another server.
export CELERIAC_DATABASE_URL ?= $(shell scripts/pg.sh url)
export CELERIAC_TEST_DATABASE_URL ?= $(CELERIAC_DATABASE_URL)
# The same database through a throwaway pgbouncer in transaction mode (pooled-producer tests).
export CELERIAC_TEST_POOLER_URL ?= $(shell scripts/pgbouncer.sh url)
# How many tests run at once. Every integration test starts workers with their own sessions:
# with no bound, all 269 start together, open ~270 connections and starve two cores until
# timeouts fire. Twelve at a time finishes sooner (about 30 s) and keeps ~55 connections.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH ?= 12

LINT_PATHS = $(wildcard Sources Tests Benchmarks Chaos Plugins Examples Package.swift)

.DEFAULT_GOAL := help
.PHONY: help setup db-up db-down db-destroy pooler-up pooler-down browser-up build demo test test-unit docs sql bench soak bench-peers chaos lint clean

help: ## Show this help
	@echo "Usage: make <target>"
	@echo
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z0-9_-]+:.*?## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Install PostgreSQL, libpq headers, pkg-config and pgbouncer if missing, then build
	$(PG) install
	scripts/pgbouncer.sh install
	$(SWIFT) build

db-up: ## Start the throwaway local PostgreSQL cluster (idempotent)
	$(PG) start

db-down: ## Stop the local PostgreSQL cluster (and its pgbouncer)
	scripts/pgbouncer.sh stop
	$(PG) stop

pooler-up: db-up ## Start a throwaway pgbouncer (transaction mode) in front of the cluster
	scripts/pgbouncer.sh start

db-destroy: ## Stop the local PostgreSQL cluster and delete its data
	$(PG) destroy

build: ## Build all targets (debug)
	$(SWIFT) build

demo: db-up ## Build the demo and run the walkthrough (migrate, worker, tasks, shutdown)
	$(SWIFT) build --product demo
	scripts/demo.sh

browser-up: ## Install Chromium, its driver and selenium for the browser test (skipped if impossible)
	scripts/browser.sh

test: db-up pooler-up browser-up ## Run the test suite against the local cluster (and through pgbouncer, and Chromium), then build the docs
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) docs

docs: ## Build the DocC documentation of the Celeriac module (warnings fail it) into .build/docs
	$(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target Celeriac \
		--warnings-as-errors --output-path .build/docs

test-unit: ## Run the unit suites only: no PostgreSQL needed
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter '^(CeleriacTests|SQLCatalogueTests)\.'

sql: ## Rewrite the blocks in sql/ derived from a template (after editing one)
	$(SWIFT) build --product EmbedSQLTool
	$(SWIFT) run --skip-build EmbedSQLTool --rewrite sql

bench: db-up ## Build release and run the benchmark
	$(SWIFT) build -c release --product celeriac
	.build/release/celeriac bench

SOAK_MINUTES ?= 20
SOAK_RATE ?= 2000
SOAK_EXPIRES ?= 60
SOAK_EVERY ?= 60
soak: db-up ## Long run under steady load with pruning on (SOAK_MINUTES, SOAK_RATE (0: full speed), SOAK_EXPIRES, SOAK_EVERY)
	$(SWIFT) build -c release --product celeriac
	.build/release/celeriac bench --soak --minutes $(SOAK_MINUTES) --rate $(SOAK_RATE) --result-expires $(SOAK_EXPIRES) --every $(SOAK_EVERY)

bench-peers: ## Run the same workloads against Celery+Redis, pgqueuer and procrastinate
	bench/peers/run.sh

chaos: db-up ## Run the fault suite (kill -9, SIGSTOP, PostgreSQL restarts, ...) and print its figures
	$(SWIFT) build --product celeriac
	.build/debug/celeriac chaos --pg-script "$(CURDIR)/scripts/pg.sh" --netns-script "$(CURDIR)/scripts/netns.sh"

lint: ## Lint with swift-format (strict); fails when swift-format is missing
	@if [ -z "$(LINT_PATHS)" ]; then \
		echo "note: nothing to lint (no Sources, Tests or Package.swift)"; \
	elif $(SWIFT) format --version >/dev/null 2>&1; then \
		echo "$(SWIFT) format lint --recursive --strict $(LINT_PATHS)"; \
		$(SWIFT) format lint --recursive --strict $(LINT_PATHS); \
	else \
		echo "error: '$(SWIFT) format' is not available: lint needs a Swift toolchain with swift-format (6.0 or later)" >&2; \
		exit 1; \
	fi

clean: ## Remove build artifacts
	rm -rf .build
