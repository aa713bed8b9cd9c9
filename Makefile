# podid tutorial — every chore has one entry point. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Learners' servers in a room run from a Python every user can run (not one under /root), with
# a copy of the project (the clone may sit where learners cannot read): re-run after a change.
ROOM_PYTHON ?= /usr/bin/python3
ROOM_VENV   ?= /opt/podid-room/venv

.DEFAULT_GOAL := help
.PHONY: help setup tutorial test test-fast notebooks lint typecheck format lab lab-stop lab-reset bench room-venv clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,room]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the tutorial, the lab and the test tools

tutorial: setup ## start the lab and open JupyterLab on the notebooks
	$(BIN)/podid-lab start
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) \
		--ServerApp.jpserver_extensions="{'podid_lab.jupyter_signin': True}"

test: setup ## the whole suite: unit, lab conformance, notebooks (nbval), browser
	$(BIN)/python -m pytest

test-fast: setup ## everything but the notebooks and the browser
	$(BIN)/python -m pytest tests -m 'not slow'

notebooks: setup ## re-run notebooks/NN-*.ipynb on a fresh lab and store their outputs
	$(BIN)/python tools/regenerate_notebooks.py

lint: setup ## ruff check and format check, then the type checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) typecheck

typecheck: setup ## mypy: strict on the helpers, the lab's public types, the room
	$(BIN)/mypy --strict podid_helpers
	$(BIN)/mypy podid_lab
	$(BIN)/mypy podid_room

format: setup ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: setup ## start the lab in the background
	$(BIN)/podid-lab start

lab-stop: setup ## stop the lab
	$(BIN)/podid-lab stop

lab-reset: setup ## forget every lab resource (keeps CA, keys, secret, port)
	$(BIN)/podid-lab reset

bench: setup ## measure the lab (start, latency, 50 learners, clusters, demo pods)
	$(BIN)/python bench/bench_lab.py
	$(BIN)/python bench/bench_pods.py

room-venv: ## (root) the Python environment learners' servers run from in a room
	$(ROOM_PYTHON) -m venv $(ROOM_VENV)
	$(ROOM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(ROOM_VENV)/bin/python -m pip install --quiet '.[room]'
	$(ROOM_VENV)/bin/python -m pip install --quiet --force-reinstall --no-deps .
	chmod -R a+rX $(ROOM_VENV)

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts *.egg-info
