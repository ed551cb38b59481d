# The first two targets are the README's two commands: each creates or
# refreshes .venv and installs what it needs, so a fresh machine with only
# Python can run them. `demo` installs the package with its `cli` extra only
# (the emulator and the command line); every other target the dev set.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test unit_tests integration_tests lint format type bench check clean

demo: $(DEMO_STAMP)
	$(BIN)/qwen-omni demo

test: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests

unit_tests: $(STAMP)
	$(BIN)/pytest -q tests/unit_tests

integration_tests: $(STAMP)
	$(BIN)/pytest -q tests/integration_tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

type: $(STAMP)
	$(BIN)/mypy langchain_qwen_omni tests cookbook benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

check: lint type test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP) $(DEMO_STAMP)

# The dev set includes the demo's; without it, only the package and `cli`.
# uv fetches the ~40 packages in parallel where pip fetches them one by one
# (about half the time on a fresh clone); pip is the fallback.
$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	( $(BIN)/python -m pip install --quiet --disable-pip-version-check uv \
	  && $(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[cli]" ) \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[cli]"
	touch $(DEMO_STAMP)

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
