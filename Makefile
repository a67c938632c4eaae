# careline — every target sets up what it needs (a venv with the project and its tools) on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: setup demo test test-pg test-real-fs bench bench-real-fs lint fmt proto fs-conf-check clean

$(STAMP): pyproject.toml setup.py scripts/install-system-deps.sh
	scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

node_modules/.installed-stamp: package.json
	npm install --no-audit --no-fund --silent
	touch $@

demo: setup
	$(BIN)/careline demo

test: setup
	$(BIN)/python -m pytest -q

# The storage tests again on PostgreSQL (CI runs this when 127.0.0.1:5432 answers).
test-pg: setup
	CARELINE_TEST_PG_URL=$(PG_URL) $(BIN)/python -m pytest -q -m postgres

# The end-to-end scenarios against a real FreeSWITCH given by environment (docs/dev/real-freeswitch.md);
# every test is skipped, with the missing variables named, when none is given.
REAL_FS_VARS := CARELINE_REAL_FS_ESL CARELINE_REAL_FS_ESL_PASSWORD CARELINE_REAL_FS_SIP \
                CARELINE_REAL_FS_SIP_DOMAIN CARELINE_REAL_FS_USER_PASSWORD CARELINE_REAL_FS_IVR_SOCKET_PORT
export $(REAL_FS_VARS)

test-real-fs: setup
	@[ -n "$$CARELINE_REAL_FS_ESL" ] || echo "test-real-fs: no real FreeSWITCH given, every test is skipped: set $(REAL_FS_VARS) (docs/dev/real-freeswitch.md)"
	$(BIN)/python -m pytest -q -rs tests/real_fs

bench: setup
	$(BIN)/python bench/run.py

# careline beside FreeSWITCH's mod_callcenter on a real switch given by BENCH_FS_* (docs/dev/bench-real-fs.md).
bench-real-fs: setup
	$(BIN)/python bench/real_fs/run.py

lint: setup node_modules/.installed-stamp
	$(BIN)/ruff check services tests bench scripts
	$(BIN)/ruff format --check services tests bench scripts
	npx --no-install buf lint proto

fmt: setup
	$(BIN)/ruff format services tests bench scripts
	$(BIN)/ruff check --fix services tests bench scripts

proto: setup node_modules/.installed-stamp
	$(BIN)/python scripts/gen_proto.py
	npx --no-install buf lint proto

fs-conf-check:
	scripts/check_fs_conf.sh

clean:
	rm -rf $(VENV) .venv-frslint node_modules var .pytest_cache .ruff_cache
