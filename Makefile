# Two commands for a newcomer: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
STAMP  := $(VENV)/.installed
# Browser tests drive Debian's Chromium through Playwright (no browser download at test time).
CHROMIUM_STAMP := $(VENV)/.chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv demo test test-sqlite test-postgres lint typecheck serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(CHROMIUM_STAMP): $(STAMP)
	command -v chromium >/dev/null 2>&1 || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
		|| { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
	touch $(CHROMIUM_STAMP)

demo: $(STAMP)
	$(BIN)/tandem demo $(filter-out $@,$(MAKECMDGOALS))

serve: $(STAMP)
	$(BIN)/tandem serve --dev

lint: $(STAMP)
	$(BIN)/ruff check plugin scripts_sandbox connectors tests bench
	$(BIN)/ruff format --check plugin scripts_sandbox connectors tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test-sqlite: $(STAMP) $(CHROMIUM_STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

# The database-touching tests again, on a real PostgreSQL server.
test-postgres: $(STAMP) $(CHROMIUM_STAMP)
	TANDEM_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider -m db

test: lint typecheck test-sqlite test-postgres

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache

# `make demo -- --once` passes --once through to `tandem demo`.
%:
	@:
