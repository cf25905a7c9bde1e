# Portal de Autogestión — the two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools/node_modules/.bin
BUN_VERSION := 1.4.4
export PATH := $(CURDIR)/$(TOOLS):$(CURDIR)/$(BIN):$(PATH)
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup prerequisites migrate seed bench clean build-frontend run-backend

prerequisites:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || \
		{ echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version 2>&1)). Install it and run again."; exit 1; }
	@command -v npm >/dev/null || { echo "Node.js with npm is needed to install bun and the frontend packages. Install Node.js 20+ and run again."; exit 1; }

$(VENV)/.installed: pyproject.toml | prerequisites
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

$(TOOLS)/bun: | prerequisites
	npm install --silent --no-audit --no-fund --prefix .tools bun@$(BUN_VERSION)

setup: $(VENV)/.installed $(TOOLS)/bun

migrate: setup
	$(BIN)/autogestion migrate

seed: migrate
	$(BIN)/autogestion seed-demo

run: seed
	@echo "Portal de Autogestión on http://localhost:$${AUTOGESTION_PORT:-3000} (mail and SMS: http://localhost:$${AUTOGESTION_PORT:-3000}/dev/bandeja)"
	$(BIN)/reflex run --env prod --loglevel warning --backend-host $${AUTOGESTION_HOST:-127.0.0.1}

test: setup
	@./scripts/check-chromium.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python bench/login_under_load.py
	$(BIN)/python bench/import_billing.py
	$(BIN)/python bench/supplies_pages.py
	$(BIN)/python bench/operator_queue.py

# Production (README, "Despliegue"): the frontend built once into static files for nginx, the backend alone.
FRONTEND_DIST ?= dist/frontend

build-frontend: setup
	@test -n "$${AUTOGESTION_BASE_URL}" || { echo "Set AUTOGESTION_BASE_URL to the public address first: the build points the browser's websocket at it."; exit 1; }
	AUTOGESTION_DEV_PAGES=false $(BIN)/reflex export --frontend-only --no-zip --loglevel warning
	rm -rf $(FRONTEND_DIST) && mkdir -p $(dir $(FRONTEND_DIST)) && cp -a .web/build/client $(FRONTEND_DIST)
	@echo "Static frontend for $${AUTOGESTION_BASE_URL} in $(FRONTEND_DIST): render deploy/nginx.conf with deploy/render.py"

run-backend: setup
	$(BIN)/autogestion check-config
	REFLEX_BACKEND_ONLY=true $(BIN)/reflex run --env prod --loglevel warning --backend-host $${AUTOGESTION_HOST:-127.0.0.1}

clean:
	rm -rf .web var .states

# The websocket load benchmark (not part of `make test`): PostgreSQL seeded at scale once (100,000 customers,
# 2,000,000 invoices; `bench/seed_scale.py --remove` drops it), then the portal in production mode on Redis
# with 1, 2 and 4 workers, each twice, beside the limits (bcrypt, bare socket.io, /ping). Prints a table.
.PHONY: bench-load
bench-load: setup
	$(BIN)/python bench/seed_scale.py
	$(BIN)/python bench/ws_load.py $(BENCH_ARGS)
