# One command each: `make demo` and `make test` create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck unit plan-examples bench bench-cloud dist clean

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

demo: $(VENV)/.installed
	$(BIN)/python -m demo

# Regenerate plan-examples/ (real outputs of the example, made stable); a test checks them.
plan-examples: $(VENV)/.installed
	$(BIN)/python -m demo.plan_examples

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

# The reconciler's own costs (start-up, validate, a steady plan, a plan of changes, a state
# save, an apply), each beside its floor measured in the same run; writes
# benchmarks/RESULTS.md (a few minutes). Never part of `make test`.
bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks.figures

# Plan and apply against a time-scaled, rate-limited local Soda Cloud, beside a by-hand
# baseline and the lower bound; writes benchmarks/CLOUD.md (about 6 to 8 minutes).
bench-cloud: $(VENV)/.installed
	$(BIN)/python -m benchmarks.run

# The sdist and the wheel in dist/, as the release workflow builds them (docs/releasing.md).
dist: $(VENV)/.installed-test
	$(BIN)/python -m build --outdir dist

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .pytest_cache .ruff_cache
