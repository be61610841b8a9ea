# Hudong: `make run` serves the demo, `make test` runs every test.
# Both set everything up first (virtualenv, install, migrations).

PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 5000
BIN     = $(VENV)/bin
export FLASK_APP = engine:create_app

# node for the JS golden vectors: the system's, else the one Playwright ships
NODE = $(shell command -v node 2>/dev/null || $(BIN)/python -c "import os, playwright; print(os.path.join(os.path.dirname(playwright.__file__), 'driver', 'node'))")

.PHONY: setup digest translations extract migrate run test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# static files under content-hashed names (Flask-Static-Digest), served immutable
digest: $(BIN)/.installed
	$(BIN)/flask digest clean >/dev/null
	$(BIN)/flask digest compile >/dev/null

setup: $(BIN)/.installed translations digest

# the console's catalogs: edit translations/zh/LC_MESSAGES/messages.po, then
# `make translations` (the compiled .mo is committed too, so a clean clone works).
# A .mo is compiled only when its .po is newer, and compiling is deterministic, so
# setup leaves a clean tree; tests/test_translations.py checks the committed .mo.
CATALOGS = $(wildcard translations/*/LC_MESSAGES/messages.po)
translations: $(CATALOGS:.po=.mo)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(BIN)/.installed
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

extract: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -N -i translations/messages.pot -d translations -l zh

migrate: setup
	$(BIN)/flask db upgrade

run: migrate
	$(BIN)/flask demo seed --base-url http://$(HOST):$(PORT)
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C stops)"
	$(BIN)/gunicorn -k gevent -w 1 -b $(HOST):$(PORT) --access-logfile - wsgi:app

lint: setup
	$(BIN)/ruff check .

test: lint
	$(NODE) --test tests/js/
	$(BIN)/pytest
	# boards, rate limits and rebuilds again, on a private 3-master Redis Cluster
	HUDONG_TEST_CLUSTER=1 $(BIN)/pytest -q -m cluster

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache
