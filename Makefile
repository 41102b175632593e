# Two entry points, both self-installing: `make up` and `make test` (and `make lint` for CI).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: up test peers bench lint install install-test clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

up: install
	$(BIN)/sipdect up

# The interop tests (tests/interop, marker `interop`) run real peers: kamailio, sipp and
# baresip from Debian; the capture tests tshark. `make peers` installs the missing ones as
# root, else fails naming them.
peers:
	@interop/install-peers.sh

test: install-test peers
	$(BIN)/python -m pytest -n 2 -q $(PYTEST_ARGS)

bench: install
	$(BIN)/sipdect bench all

# The packages mypy checks strictly; the tests are only linted by ruff. lint-imports checks
# the layer contract of docs/architecture.md ([tool.importlinter] in pyproject.toml).
TYPED := dect sipdect omm rfp sim mom eventmgr

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy --strict $(TYPED)
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
