# HEP Impact Monitor — two commands on a fresh machine:
#   make run    set everything up and serve the app on SQLite with demo data
#   make test   lint and run every test (SQLite and PostgreSQL, browser tests included)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := monitor

.PHONY: run setup serve test lint pytest system-deps assets db demo bench clean

run: setup db demo serve

setup: $(VENV)/.installed monitor/static/nhsuk/.copied

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

monitor/static/nhsuk/.copied: node_modules/.installed $(VENV)/.installed tools/copy_assets.py
	$(BIN)/python tools/copy_assets.py node_modules/nhsuk-frontend monitor/static/nhsuk
	touch $@

assets: monitor/static/nhsuk/.copied

db: setup
	$(BIN)/monitor db upgrade

demo: setup
	$(BIN)/monitor demo

serve: setup
	@$(BIN)/monitor demo-sign-ins
	$(BIN)/flask --app monitor run --host 127.0.0.1 --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

system-deps:
	./tools/system-deps.sh

pytest: setup system-deps
	$(BIN)/pytest

test: lint pytest

bench: setup system-deps
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/summary.py
	$(BIN)/python bench/icb.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) node_modules monitor/static/nhsuk instance
