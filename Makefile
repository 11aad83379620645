# Every target creates the virtualenv it needs; a fresh clone with Python 3.11 and git is enough.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov, which the scaffold tests run on every variant's rendered overlays, lives in a virtualenv of its own inside
# the project's: its pinned dependencies would downgrade ours (packaging 26 -> 23, python-dateutil 4 -> 2.9). The
# version is pinned in tests/checkov-requirements.txt; a new pin reinstalls it.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: install demo test check fuzz lint bench docs crds scaffold-release clean

# gitops_tools/__init__.py holds the version the installed metadata carries (SARIF names the tool by it).
$(STAMP): pyproject.toml gitops_tools/__init__.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev,kustomize]'
	touch $(STAMP)

$(CHECKOV_STAMP): tests/checkov-requirements.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r tests/checkov-requirements.txt
	touch $(CHECKOV_STAMP)

install: $(STAMP) $(CHECKOV_STAMP)

demo: $(STAMP)
	@$(BIN)/python examples/demo.py

# The whole suite: in parallel, then the timing-sensitive tests alone so no other test competes for the cores.
test: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/python -m pytest -n auto -m "not serial"
	$(BIN)/python -m pytest -m serial

# The fast inner loop: static checks and the unit tests, stopping at the first failure, with a short
# run of each property-based test; the end-to-end (`slow`) and timing (`serial`) tests are left to `make test`.
check: lint
	HYPOTHESIS_PROFILE=check $(BIN)/python -m pytest -n auto -x -q -m "not slow and not serial"

# The property-based tests with tens of thousands of examples each.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -n auto -p no:cacheprovider tests/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check gitops_tools tests benchmarks examples docs
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/lint_speed.py

# The rule catalogue, the peer coverage table and README's generated blocks (the demo's output, the test counts, the
# coverage counts); tests fail when one is stale.
docs: $(STAMP)
	$(BIN)/python -c "from gitops_tools.apilifecycle import write_derived; write_derived()"
	$(BIN)/gitops-tools rules --format markdown > docs/rules.md.tmp && mv docs/rules.md.tmp docs/rules.md
	$(BIN)/python docs/readme.py
	$(BIN)/python docs/coverage.py

# The bundled custom resource schemas (schemas/resources/crds/), derived from the vendored CRDs (schemas/vendor/crds/).
crds: $(STAMP)
	$(BIN)/python -c "from gitops_tools.crdbundle import write_derived; write_derived()"

# Record each scaffold's and component's current version and content in its releases.json (and the commit holding
# the release before it); tests/test_releases.py fails when content changes without a version bump.
scaffold-release: $(STAMP)
	$(BIN)/python -m gitops_tools.lifecycle.releases .

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
