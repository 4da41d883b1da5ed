# The two commands: `make run` (try the bot locally) and `make test` (everything CI checks).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Your stationmaster.yml when there is one, else the example (roles and a train, ready to try).
CONFIG ?= $(if $(wildcard stationmaster.yml),stationmaster.yml,stationmaster.example.yml)

.PHONY: run test lint typecheck pytest bench postgres services clean
# Debian's Prometheus and Alertmanager: the tests start real ones on free loopback ports.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Install, then run the bot in local mode: Slack simulator, SQLite and a console.
run: $(STAMP)
	$(BIN)/stationmaster console --config $(CONFIG)

## Install, then run lint, type checks, all tests with coverage (>= 90%) and the bench smoke.
test: $(STAMP) postgres services lint typecheck pytest bench

services:
	@command -v prometheus >/dev/null && command -v prometheus-alertmanager >/dev/null || \
	  { $(SUDO) apt-get update -qq && \
	    $(SUDO) apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager; }

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

## Benchmarks at smoke size (CI); run `$(BIN)/python bench/ack_latency.py` for real figures.
bench: $(STAMP)
	$(BIN)/python bench/ack_latency.py --smoke
	$(BIN)/python bench/gates.py --smoke
	$(BIN)/python bench/notes.py --smoke
	$(BIN)/python bench/rollback.py --smoke
	$(BIN)/python bench/alert_storm.py --smoke

clean:
	rm -rf $(VENV) .coverage .coverage.* .mypy_cache .ruff_cache
