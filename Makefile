# Householder: `make run` sets up and starts the chat app; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
EXAMPLE ?= examples/rivera.json
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run example check test bench setup system-deps browser-deps clean

$(BIN)/householder: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,test]'
	$(if $(CI),$(BIN)/pip install --quiet -e '.[taxref]')
	@touch $@

system-deps:
	@command -v glpsol >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq glpk-utils; }

# The browser tests drive Debian's chromium (never a browser Playwright downloads).
browser-deps:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

setup: system-deps $(BIN)/householder

# The chat app on http://$(HOST):$(PORT), every example household loaded, the offline assistant.
run: setup
	$(BIN)/householder serve --host $(HOST) --port $(PORT)

# One example household rebalanced in the terminal.
example: setup
	$(BIN)/householder rebalance $(EXAMPLE)

# Lint, format and type checks on the engine and the tool calls first (config in pyproject.toml).
check: setup
	$(BIN)/ruff check engine tools
	$(BIN)/ruff format --check engine tools
	$(BIN)/mypy

test: setup browser-deps check
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# Every tool at every size (S, M, L, XL) with GLPK and HiGHS; writes bench/RESULTS.md (about 15 minutes).
bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
