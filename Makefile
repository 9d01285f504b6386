# The two commands a newcomer needs: `make demo` and `make test`. Everything else is here for them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup messages makemessages migrate seed run worker test-postgres test-browser browser-deps bench clean ci

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) messages

# gettext's msgfmt compiles the committed .po files; Debian images have it, and we install it if not.
messages: $(STAMP)
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null)
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0

makemessages: $(STAMP)
	$(BIN)/python manage.py makemessages --ignore=.venv --ignore=tests --ignore=bench -l en -l sw -l lv -l hy --no-obsolete
	$(BIN)/python manage.py makemessages -d djangojs --ignore=.venv --ignore=staticfiles --ignore='static/js/htmx.min.js' -l en -l sw -l lv -l hy --no-obsolete

migrate: setup
	$(BIN)/python manage.py migrate --no-input -v 0

seed: migrate
	$(BIN)/python manage.py seed_demo

# The demo: embedded defaults (SQLite, in-memory channel layer), demo content, ASGI server, a task worker
# and the clock that runs the periodic commands.
demo: seed
	@echo "Starting the community on http://$(HOST):$(PORT)/ (Ctrl-C stops it and the task worker)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(BIN)/python manage.py db_worker --queue-name '*' --interval 1 & \
	  $(BIN)/python manage.py run_scheduler & \
	  $(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --ws websockets-sansio --lifespan off

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL + Redis (started if they are not running), as CI runs it.
test-postgres: setup
	@bash .ci/services
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/community REDIS_URL=redis://127.0.0.1:6379/0 \
	  $(BIN)/python -m pytest -m 'not browser' $(PYTEST_ARGS)

browser-deps: setup
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test-browser: browser-deps
	@bash .ci/services
	REDIS_URL=redis://127.0.0.1:6379/0 $(BIN)/python -m pytest -m 'browser or multiprocess' -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles .test-media test-artifacts
