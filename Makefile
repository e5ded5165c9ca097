# One command each: `make demo` and `make test` create .venv and install what they need, at
# the versions pinned (with their hashes) in requirements/; `make lock` refreshes those pins.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCKS  := requirements
# The resolver behind `make lock` (installed into .venv by it; nothing else needs it).
UV_VERSION := 0.13.8
# One lock for every supported Python (3.10 up) and platform: markers choose per machine.
COMPILE = $(BIN)/uv pip compile --quiet --universal --generate-hashes --python-version 3.10 \
	--custom-compile-command "make lock" pyproject.toml $(LOCKS)/build.in

.PHONY: demo test lint typecheck unit plan-examples bench bench-cloud dist clean lock lock-upgrade

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The lock first (every package at its pinned version, each file checked against its hash),
# then the project itself, editable, built with the pinned setuptools of the lock.
define install_locked
	$(BIN)/python -m pip install --quiet --require-hashes -r $(1)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
endef

$(VENV)/.installed: $(BIN)/python pyproject.toml $(LOCKS)/base.txt
	@# The distribution was called `reconciler` before: a .venv made then still holds it.
	@$(BIN)/python -m pip uninstall --quiet --yes reconciler 2>/dev/null || true
	$(call install_locked,$(LOCKS)/base.txt)
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml $(LOCKS)/test.txt
	$(call install_locked,$(LOCKS)/test.txt)
	@touch $@

# Refresh the locks after a change of dependencies in pyproject.toml: new requirements are
# resolved, pins that still satisfy it are kept. `make lock-upgrade` moves every pin to the
# newest release allowed. test.txt (everything) is resolved first; the others are held to
# its versions, so the three agree.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(COMPILE) $(UPGRADE) --all-extras -o $(LOCKS)/test.txt
	$(COMPILE) -c $(LOCKS)/test.txt --extra duckdb --extra postgres --extra postgres-state \
		--extra s3 -o $(LOCKS)/full.txt
	$(COMPILE) -c $(LOCKS)/test.txt -o $(LOCKS)/base.txt

lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

# Soda's engine with its data source packages (the full lock): the demo's shop runs real
# checks on a DuckDB file.
$(VENV)/.installed-engine: $(VENV)/.installed pyproject.toml $(LOCKS)/full.txt
	$(call install_locked,$(LOCKS)/full.txt)
	@touch $@

demo: $(VENV)/.installed-engine
	$(BIN)/python -m demo

# Regenerate plan-examples/ (real outputs of the example, made stable); a test checks them.
# Soda's engine judges every contract there (engine: on), so it is installed too.
plan-examples: $(VENV)/.installed-engine
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
