# django-vox developer commands.  Two of them are all a new user needs:
#   make demo   - run the demo site with its admin
#   make test   - install what the tests need and run them
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
PYTEST_ARGS ?=
# Debian packages the test suite runs as real servers / browsers.
SYSTEM_PACKAGES := prosody chromium
# Seconds apt-get waits for another apt or dpkg (unattended upgrades) to let go
# of its lock before giving up.
APT_LOCK_TIMEOUT ?= 300
# Extra interpreters for tox (pyenv layout on the CI machines; harmless elsewhere).
PYENV_PATHS := $(subst $(eval) ,:,$(wildcard $(HOME)/.pyenv/versions/3.1[0-9]*/bin))

.PHONY: help demo test test-postgres test-all system-deps tox lint docs bench clean ci-extra sdist sdist-check messages

help:
	@echo "make demo           run the demo site (admin login is printed)"
	@echo "make test           run the test suite on SQLite"
	@echo "make test-postgres  run the test suite on PostgreSQL (127.0.0.1:5432)"
	@echo "make tox            run every Django/Python combination, no-extras, docs and lint"
	@echo "make lint           ruff, the import layers and mypy (configured in pyproject.toml)"
	@echo "make bench          run the benchmarks"
	@echo "make sdist-check    build the sdist and run its tests (tox -e py311-django52) from it"
	@echo "make messages       update the translation catalogs in django_vox/locale and compile them"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-test: $(BIN)/python setup.cfg setup.py pyproject.toml
	$(PIP) install --quiet -e ".[test]"
	@touch $@

$(VENV)/.installed-all: $(BIN)/python setup.cfg setup.py pyproject.toml
	$(PIP) install --quiet -e ".[markdown,twilio,twitter,xmpp,tasks,test,docs]"
	@touch $@

# Install the servers the tests start themselves.  Never a silent skip: when they
# cannot be installed we stop and say which packages are missing.
system-deps:
	@missing=""; \
	command -v prosody >/dev/null 2>&1 || [ -x /usr/bin/prosody ] || missing="$$missing prosody"; \
	command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian packages:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_TIMEOUT) update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_TIMEOUT) \
	      install -y -q $$missing || exit 1; \
	  else \
	    echo "The tests need these Debian packages:$$missing"; \
	    echo "Install them (as root: apt-get install -y$$missing) and run make test again."; \
	    exit 1; \
	  fi; \
	fi

test: system-deps $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: system-deps $(VENV)/.installed-test
	VOX_TEST_DATABASE=postgres $(BIN)/python -m pytest $(PYTEST_ARGS)

# Quiet until the login banner demo_setup prints, so it is the last thing above
# the server's own start-up lines.
demo: $(VENV)/.installed-all
	$(BIN)/python -m django migrate --settings=tests.demo.settings --noinput --verbosity 0
	$(BIN)/python -m django demo_setup --settings=tests.demo.settings
	$(BIN)/python -m django runserver --settings=tests.demo.settings $(or $(DEMO_ADDR),127.0.0.1:8000)

tox: $(VENV)/.installed-all
	$(PIP) install --quiet tox
	PATH="$(PYENV_PATHS):$$PATH" $(BIN)/tox $(TOX_ARGS)

# What CI runs besides make test and make test-postgres: the newest Django on
# the newest Python (with the browser tests), the docs build with -W, the linters.
CI_TOX_ENVS ?= py313-django61,docs,lint
ci-extra: system-deps
	$(MAKE) tox TOX_ARGS="-e $(CI_TOX_ENVS)"

# The sdist must carry what its tests need (tests/test_sdist.py checks the file
# list); this builds it, unpacks it in a temporary directory and runs tox there.
SDIST_TOX_ENV ?= py311-django52
sdist: $(VENV)/.installed-test
	rm -rf dist
	$(BIN)/python -m build --sdist --outdir dist .

sdist-check: sdist system-deps
	$(PIP) install --quiet tox
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tar -xzf dist/*.tar.gz -C "$$tmp" && cd "$$tmp"/django_vox-* && \
	PATH="$(PYENV_PATHS):$$PATH" $(abspath $(BIN))/tox -e $(SDIST_TOX_ENV) -- -p no:cacheprovider

# The languages django-vox ships a translation for (django_vox/locale/<code>/).
# tests/test_catalogs.py runs the same makemessages options and fails when a
# catalog is not what this target would write, or has a string untranslated.
LANGUAGES := de fr es pt_BR ja
MESSAGES_OPTIONS := $(foreach code,$(LANGUAGES),--locale=$(code)) --no-location --no-obsolete
# Updates django_vox/locale/*/LC_MESSAGES/django.po (Python and templates) and
# djangojs.po (the admin's scripts), then compiles the .mo files that ship in
# the wheel.  Needs GNU gettext (Debian: apt-get install gettext).  It runs
# inside django_vox/, so the tests, benchmarks and docs are never scanned.
messages: $(VENV)/.installed-test
	cd django_vox && $(abspath $(BIN))/django-admin makemessages --domain=django $(MESSAGES_OPTIONS)
	cd django_vox && $(abspath $(BIN))/django-admin makemessages --domain=djangojs $(MESSAGES_OPTIONS)
	cd django_vox && $(abspath $(BIN))/django-admin compilemessages $(foreach code,$(LANGUAGES),--locale=$(code))

lint: $(VENV)/.installed-all
	$(PIP) install --quiet tox
	$(BIN)/tox -e lint

docs: $(VENV)/.installed-all
	$(BIN)/sphinx-build -W -b html docs docs/_build/html

# pyinstrument is for the benchmarks' --profile option only, so it is not an extra.
bench: system-deps $(VENV)/.installed-all
	$(PIP) install --quiet pyinstrument
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tox docs/_build build dist *.egg-info
