# Every target creates the virtualenv it needs; a fresh clone with Python 3.11 and git is enough.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@$(BIN)/python examples/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check gitops_tools tests benchmarks examples
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/lint_speed.py

docs: $(STAMP)
	$(BIN)/gitops-tools rules --format markdown > docs/rules.md.tmp && mv docs/rules.md.tmp docs/rules.md

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
