# Householder: `make run` sets up and runs an example; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
EXAMPLE ?= examples/rivera.json

.PHONY: run test setup system-deps clean

$(BIN)/householder: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

system-deps:
	@command -v glpsol >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq glpk-utils; }

setup: system-deps $(BIN)/householder

run: setup
	$(BIN)/householder rebalance $(EXAMPLE)

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
