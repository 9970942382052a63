# Every target builds .venv on first use: only Python 3.11 and git are needed on the machine.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# As root, `make test` apt-get installs the system tools the tests drive that pip cannot (git-lfs,
# ssh-keygen, gpg, chromium; scripts/ensure-test-tools.sh); INSTALL_TOOLS=0 opts out (INSTALL_GIT_LFS=0, the old name, too).
INSTALL_GIT_LFS ?= 1
INSTALL_TOOLS ?= $(INSTALL_GIT_LFS)
# pytest-xdist workers: `auto` is one per core. worksteal keeps both cores busy to the end (a few tests take
# a minute or more); module-scoped fixtures are then built once per worker that runs that module.
TEST_WORKERS ?= auto
# The editable install as a plain path entry: setuptools' default puts an import hook in site-packages that
# every Python start runs (pathlib, re, importlib.util: ~12 ms), which a user's `pip install gitmodel` never
# pays — the commit hook's figures would measure setuptools, not gitmodel. setuptools calls the mode
# transitional: where it is gone, the install falls back to the default (the figures then carry the hook).
EDITABLE ?= --config-settings editable_mode=compat

.PHONY: venv demo test test-fast bench bench-scale lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found — install Python 3.11 or run make PYTHON=python3"; exit 2; }
	@GITMODEL_INSTALL_TOOLS=$(INSTALL_TOOLS) sh scripts/ensure-test-tools.sh --python $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev]' $(EDITABLE) 2>/dev/null || $(BIN)/python -m pip install -q -e '.[test,dev]'
	@touch $(STAMP)

demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash scripts/demo.sh

test: $(STAMP)
	@GITMODEL_INSTALL_TOOLS=$(INSTALL_TOOLS) sh scripts/ensure-test-tools.sh
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal

test-fast: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q -x -m "not slow" -n $(TEST_WORKERS) --dist worksteal

bench: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m benchmarks

# The scale series (10,000 models, 100,000 tags; ~25 min on 2 cores) -> benchmarks/SCALE.md and
# benchmarks/charts/*.svg. Its charts need matplotlib: the `bench` extra, installed here only.
# Extra flags: make bench-scale BENCH_SCALE_ARGS='--gto-timeout 300 --note "..."'
BENCH_SCALE_ARGS ?=
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,dev,bench]' $(EDITABLE) 2>/dev/null || $(BIN)/python -m pip install -q -e '.[test,dev,bench]'
	@touch $(BENCH_STAMP)

bench-scale: $(BENCH_STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m benchmarks --scale $(BENCH_SCALE_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check gitmodel tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build dist *.egg-info
