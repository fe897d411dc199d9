# The project's vocabulary. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

.PHONY: run test lint format bench messages up venv worker

$(VENV)/.synced: uv.lock pyproject.toml scripts/venv.sh
	@scripts/venv.sh
	@touch $@

venv: $(VENV)/.synced

## run: the platform on the embedded default (SQLite, in-memory layer, demo data)
# It runs as the site does: DEBUG off (the site's own error pages, never Django's technical
# ones), static files collected and served by WhiteNoise, over plain HTTP on the loopback, with
# a secret key made once per checkout and kept in a git-ignored file.
EMBEDDED_KEY := .embedded-secret-key
EMBEDDED := env -u DATABASE_URL -u REDIS_URL -u EMAIL_URL SITE_URL=http://127.0.0.1:$(PORT) \
	DEBUG=0 HTTPS=0 SECRET_KEY="$$(cat $(EMBEDDED_KEY))"

$(EMBEDDED_KEY):
	@umask 077; $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

run: venv $(EMBEDDED_KEY)
	@$(EMBEDDED) $(MANAGE) collectstatic --noinput -v 0
	@$(EMBEDDED) $(MANAGE) migrate --noinput -v 0
	@# The demo's own announcement is not e-mailed to the console: the logins stay readable.
	@set -o pipefail; $(EMBEDDED) EMAIL_URL=memorymail:// $(MANAGE) seed_demo 2>&1 | grep -v -e '^Task ' -e '^No hostname'
	@echo
	@echo "  Speed mentoring is running at http://127.0.0.1:$(PORT)/   (Ctrl+C stops it)"
	@echo "  E-mail (verification links, notifications) is printed below."
	@echo
	@# Scheduled work (weekly themes, scheduled announcements) fires from a small loop beside
	@# the server, the embedded stand-in for Celery beat; it stops with the server.
	@$(EMBEDDED) $(MANAGE) run_due --every 30 & \
	  trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	  $(EMBEDDED) $(MANAGE) runserver 127.0.0.1:$(PORT)

## test: the whole suite on real PostgreSQL, Redis and Chromium, then the embedded smoke tests
test: venv
	@scripts/test.sh $(ARGS)

## lint: ruff, formatting, mypy, migrations
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	env -u DATABASE_URL -u REDIS_URL $(MANAGE) makemigrations --check --dry-run

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: benchmarks on real PostgreSQL and Redis, JSON on stdout
bench: venv
	@scripts/bench.sh $(ARGS)

## messages: refresh and compile the Finnish and Swedish translations after changing strings
messages: venv
	$(MANAGE) makemessages -l fi -l sv --ignore=.venv --ignore=.tools --ignore=staticfiles --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv --ignore=.tools

## up: the production stack with Docker Compose (needs a Docker engine)
up:
	docker compose up --build
