# Two commands on a fresh machine: `make demo` and `make test`. Everything runs from ./.venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DAY ?=
PRODUCTS ?= 2000
DEMO_SITE_ARGS ?=
DEV_PORT ?= 3000
PYTEST_ARGS ?=
# pytest-xdist workers for `make test`: one per core (most tests wait on servers and subprocesses)
TEST_WORKERS ?= auto

.PHONY: venv demo test test-fast lint dev clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## make demo: one full daily partition of demo_shop against the bundled demo site; last line is JSON.
demo: $(STAMP)
	$(PY) -m scrape_assets.demo --day "$(DAY)" --products "$(PRODUCTS)" --site-args "$(DEMO_SITE_ARGS)"

## make test: lint, then the whole suite (what .ci/run calls). The UI test drives Debian's Chromium,
## installed here when missing (Playwright never downloads a browser).
test: lint /usr/bin/chromium
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

## make test-fast: lint, then every test that needs no crawl (unit, config, contract, schema): the fast loop.
test-fast: lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not e2e" $(PYTEST_ARGS)

## make lint: ruff's linter and its formatter's check, and mypy (settings in pyproject.toml).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

/usr/bin/chromium:
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

## make dev: the Dagster UI on 127.0.0.1:$(DEV_PORT) with the demo site running on 127.0.0.1:8765.
dev: $(STAMP)
	$(PY) -m scrape_assets.dev --port $(DEV_PORT) --products "$(PRODUCTS)"

clean:
	rm -rf data test-artifacts

.PHONY: bench bench-quick
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

## make bench / bench-quick: figures and ratios (bench/run.py); no timing asserts anywhere.
bench: $(BENCH_STAMP)
	$(PY) bench/run.py

bench-quick: $(BENCH_STAMP)
	$(PY) bench/run.py --quick --repeat 1
