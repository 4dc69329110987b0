# Two commands: `make run` and `make test`. Everything else here is what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MAMORI_PRESET ?= komae
HOST ?= 127.0.0.1
PORT ?= 8000
export MAMORI_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test setup-run setup-test check lint messages fonts bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

# Reinstall only when pyproject.toml changed.
$(VENV)/.run-deps: pyproject.toml | $(PY)
	$(VENV)/bin/pip install -q -e .
	touch $@

# python-ldap (directory login, tested against Debian's slapd) compiles against libldap and libsasl.
$(VENV)/.test-deps: pyproject.toml | $(PY)
	$(call apt_install,gcc libldap2-dev libsasl2-dev)
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

# Debian packages: gettext compiles the Japanese catalogue; the browser tests need Debian's
# chromium and a Japanese font (never a browser download).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

messages:
	$(call apt_install,gettext)
	$(PY) manage.py compilemessages --ignore=.venv -v 0

# PDFs embed IPAexGothic from Debian's fonts-ipaexfont-gothic (3 MB), never what the server happens to have.
fonts:
	$(call apt_install,fonts-ipaexfont-gothic)

setup-run: $(VENV)/.run-deps messages fonts
	mkdir -p $(MAMORI_DATA_DIR)
	$(PY) manage.py migrate -v 0
	$(PY) manage.py load_policy --preset $(MAMORI_PRESET)
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py setup_demo

run: setup-run
	@echo "Mamori: http://$(HOST):$(PORT)/  (public form: http://$(HOST):$(PORT)/report/)  Ctrl-C stops web and worker."
	@$(PY) manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(VENV)/bin/gunicorn config.wsgi -b $(HOST):$(PORT) -w 2 --timeout 120 --access-logfile - --error-logfile -

setup-test: $(VENV)/.test-deps
	$(call apt_install,gettext chromium fonts-ipaexfont-gothic poppler-utils slapd ldap-utils)
	$(PY) manage.py compilemessages --ignore=.venv -v 0

lint: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy mamori config

check: setup-test
	MAMORI_DATA_DIR=$$(mktemp -d) $(PY) manage.py check --fail-level WARNING
	MAMORI_DATA_DIR=$$(mktemp -d) $(PY) manage.py makemigrations --check --dry-run -v 0
	$(PY) bin/check_catalogue.py locale/ja/LC_MESSAGES/django.po

test: lint check
	MAMORI_TESTING=1 MAMORI_DATA_DIR=$$(mktemp -d) $(VENV)/bin/pytest -n 2 -q $(PYTEST_ARGS)

# Not part of `make test`: a prefecture's scale (1,000,000 incidents) under load, on SQLite and on the
# PostgreSQL server of BENCH_DATABASE_URL (default: this machine's), and the burst-intake kill test on
# both; figures into docs/performance.md. The dataset is made once and kept (var/bench/ and the database
# mamori_bench_<N>); wrk is Debian's. See bench/README.md.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
bench: $(VENV)/.run-deps messages
	$(call apt_install,wrk)
	$(PY) bench/load.py --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS)
	$(PY) bench/intake_kill.py $(BENCH_ARGS_KILL)
	$(PY) bench/intake_kill.py --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS_KILL)
