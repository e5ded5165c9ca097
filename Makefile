# One command each: `make demo` and `make test` create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck unit plan-examples bench dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	@# The distribution was called `reconciler` before: a .venv made then still holds it.
	@$(BIN)/python -m pip uninstall --quiet --yes reconciler 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

# Soda's engine with DuckDB: the demo's shop runs real checks on a DuckDB file.
$(VENV)/.installed-duckdb: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[duckdb]'
	@touch $@

demo: $(VENV)/.installed-duckdb
	$(BIN)/python -m demo

# Regenerate plan-examples/ (real outputs of the example, made stable); a test checks them.
# Soda's engine judges every contract there (engine: on), so it is installed too.
plan-examples: $(VENV)/.installed-duckdb
	$(BIN)/python -m demo.plan_examples

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

# Plan and apply against a time-scaled, rate-limited local Soda Cloud, beside a by-hand
# baseline and the lower bound; writes benchmarks/RESULTS.md (about 6 to 8 minutes).
bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.run

# The sdist and the wheel in dist/, as the release workflow builds them (docs/releasing.md).
dist: $(VENV)/.installed-test
	$(BIN)/python -m build --outdir dist

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .pytest_cache .ruff_cache
