# pytest-bstm developer commands. Each target creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COV_FAIL_UNDER ?= 90

.PHONY: venv test lint typecheck unit docs compat compat-full demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check pytest_bstm tests bench examples noxfile.py docs/site_hooks.py
	$(BIN)/ruff format --check pytest_bstm tests bench examples noxfile.py docs/site_hooks.py

typecheck: $(STAMP)
	$(BIN)/mypy pytest_bstm

# coverage runs pytest itself (not pytest-cov) so that import-time lines of the plugin, loaded
# through its entry point before any plugin starts, count too; subprocesses are measured as well.
unit: $(STAMP)
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest -p no:cacheprovider $(PYTEST_ARGS)
	$(BIN)/coverage combine -q
	$(BIN)/coverage report --fail-under=$(COV_FAIL_UNDER)

# The documentation site (docs/, mkdocs.yml) in strict mode: a broken link or anchor, a page
# missing from the nav, or an option the plugin does not have fails it (docs/site_hooks.py).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir .site

# pytest exits 5 when it collected nothing; make treats any non-zero exit as a failure.
test: lint typecheck docs unit

# The compatibility matrix (noxfile.py): the end-to-end tests in a fresh virtual environment per
# supported Python x pytest line, with pyenv's interpreters. One cell: NOX_ARGS='-s "e2e-3.13(9.x)"'
compat: $(STAMP)
	$(BIN)/nox $(NOX_ARGS)

compat-full: $(STAMP)
	$(BIN)/nox -s e2e $(NOX_ARGS)

demo: $(STAMP)
	cd examples/basic && ../../$(BIN)/python -m pytest --bstm-emulator -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) .site .nox .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache dist build
