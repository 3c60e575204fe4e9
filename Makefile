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
# Extra interpreters for tox (pyenv layout on the CI machines; harmless elsewhere).
PYENV_PATHS := $(subst $(eval) ,:,$(wildcard $(HOME)/.pyenv/versions/3.1[0-9]*/bin))

.PHONY: help demo test test-postgres test-all system-deps tox lint docs bench clean

help:
	@echo "make demo           run the demo site (admin login is printed)"
	@echo "make test           run the test suite on SQLite"
	@echo "make test-postgres  run the test suite on PostgreSQL (127.0.0.1:5432)"
	@echo "make tox            run every Django/Python combination, no-extras, docs and lint"
	@echo "make lint           ruff, the import layers and mypy (configured in pyproject.toml)"
	@echo "make bench          run the benchmarks"

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
	    DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
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
