# Two commands matter: `make run` (the demo) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_PASSWORD ?= prospector-demo
TEST_DATABASE_URL ?= postgres://prospector:prospector@127.0.0.1:5432/prospector
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run run-llm tune test test-fast venv venv-dev services lint lock clean bench screenshots

# The CPU build of torch lies in /opt/wheels on these machines; PyPI's is the CUDA one.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels)

# llama.cpp is compiled here (PyPI has only its source). A native build used instructions
# (AMX) that this machine's CPU lists but the kernel refused: every request crashed the
# server with "invalid opcode". AVX2 runs on any x86-64 of the last decade. The settings
# are part of uv's cache key, so a native build in the cache is not reused.
LLAMA_BUILD := $(foreach define,GGML_NATIVE=OFF GGML_AVX=ON GGML_AVX2=ON GGML_FMA=ON GGML_F16C=ON GGML_AVX512=OFF, \
	--config-settings-package llama-cpp-python:cmake.define.$(define))

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.8

# One .venv, two locks: requirements.lock holds what the panel and the worker import, and
# requirements-dev.lock adds the test and training stack (torch, llama.cpp built from
# source: minutes). `make lock` pins the runtime lock to the dev lock's versions, so a venv
# synced to the dev lock already holds the runtime one: after `make test`, `make run`
# installs nothing. The stamps say which lock the venv was last brought up to.
RUNTIME_STAMP := $(VENV)/.synced-runtime
DEV_STAMP := $(VENV)/.synced-dev

# `install`, not `sync`: a venv that `make test` filled keeps its test packages.
$(RUNTIME_STAMP): pyproject.toml requirements.lock | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

$(DEV_STAMP): pyproject.toml requirements.lock requirements-dev.lock | $(BIN)/uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python $(FIND_LINKS) $(LLAMA_BUILD) requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@ $(RUNTIME_STAMP)

venv: $(RUNTIME_STAMP)
venv-dev: $(DEV_STAMP)

var/secret_key:
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# The demo: SQLite under var/, a filesystem broker, the template engine; no service needed.
run: venv var/secret_key
	DEMO_PASSWORD="$(DEMO_PASSWORD)" PORT=$(PORT) bash scripts/run_demo.sh

# The demo plus a local model server (llama.cpp + Gemma 3 270M) behind the endpoint build.
run-llm: venv-dev var/secret_key
	DEMO_PASSWORD="$(DEMO_PASSWORD)" PORT=$(PORT) bash scripts/run_llm.sh

# The tuning loop on the demo's database (about 25 minutes on 2 cores; README, "The tuning
# loop"): `make run-llm` then drafts with the trained child.
tune: venv-dev var/secret_key
	bash scripts/tune.sh $(TUNE_ARGS)

# axe-core, which the browser tests inject into every panel page. The touch dates the install
# after the lock file (npm may leave the file older), so make does not reinstall every run.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The suite can run in TEST_WORKERS pytest-xdist processes, each with its own test database
# (<name>_gw<n>), Redis database (TEST_REDIS_URL's number + n) and ports; the tests that
# share the model server, the browser or the tiny training model run on one worker each,
# the longest work first (tests/support/parallel.py). On the 2-core machine three workers
# kept the load near 7, the real model server answered too slowly for its deadlines and the
# wall time did not drop (docs/benchmarks.md, "Test suite"), so one process is the default
# here: `make test TEST_WORKERS=3` on a machine with cores to spare.
TEST_WORKERS ?= 0
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder
# Bytecode is cached under var/ even where PYTHONDONTWRITEBYTECODE is set: the suite starts
# dozens of Python processes (workers, Celery, manage.py, the demo), and compiling the
# libraries anew in each cost about 10 CPU seconds a pytest process.
TEST_ENV := SECRET_KEY=test-secret-key-not-for-production DEBUG=0 SECURE_SSL_REDIRECT=0 \
	SECURE_COOKIES=0 DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) \
	CELERY_TASK_ALWAYS_EAGER=1 PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(CURDIR)/var/pycache
# What the inner loop leaves out: Chromium, the llama.cpp server and the `make run` demos.
FAST_MARKERS := not browser and not model_server and not demo

# The whole suite against real PostgreSQL and Redis, installed and started if missing.
test: venv-dev node_modules/axe-core/axe.min.js
	bash scripts/test_services.sh
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The inner loop: the same suite without the browser, the model server and the demos.
test-fast: venv-dev
	bash scripts/test_services.sh
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_PARALLEL) -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

# Tests write screenshots under var/; the tracked ones in docs/ change only when asked.
screenshots:
	rm -rf var/screenshots
	$(MAKE) test PYTEST_ARGS="tests/browser"
	rm -f docs/screenshots/*.png
	cp var/screenshots/*.png docs/screenshots/

lint: venv-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

# The dev lock first: the runtime lock takes its versions (-c), so one never contradicts the
# other and the dev venv holds both.
lock: | $(BIN)/uv
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --extra train $(FIND_LINKS) -o requirements-dev.lock --python-version 3.11
	$(BIN)/uv pip compile --quiet pyproject.toml -c requirements-dev.lock $(FIND_LINKS) -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) var .pytest_cache node_modules
