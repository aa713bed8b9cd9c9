# podid tutorial — every chore has one entry point. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The learner's install: the tutorial and the lab, no test or lint tools.
LEARNER_STAMP := $(VENV)/.installed-tutorial
SITE_STAMP    := $(VENV)/.installed-site
# `make wheelhouse` fills it; `make install OFFLINE=1` installs from it with no network.
WHEELHOUSE_DIR ?= dist/wheelhouse
OFFLINE ?=
VENDOR := tools/vendor/node_modules/.package-lock.json
JUPYTER_PAGES := $(VENV)/etc/jupyter/jupyter_server_config.d/podid_lab.json
# Learners' servers in a room run from a Python every user can run (not one under /root), with
# a copy of the project (the clone may sit where learners cannot read): re-run after a change.
ROOM_PYTHON ?= /usr/bin/python3
ROOM_VENV   ?= /opt/podid-room/venv
# Test workers: most tests wait on a lab or a subprocess, so more workers than cores pay.
# Each worker starts labs of its own; a module (and the notebook series) stays on one worker.
JOBS ?= 4
PARALLEL := -n $(JOBS) --dist loadgroup
JUNIT := test-artifacts/junit.xml

# Python caches what it compiles, and pytest its rewritten test modules: a machine that sets
# PYTHONDONTWRITEBYTECODE (this one does) would have each test worker, each pod process and each
# CLI call compile them again (a worker's collection: 4.2 s, 1.8 s from the cache).
export PYTHONDONTWRITEBYTECODE :=

.DEFAULT_GOAL := help
.PHONY: help install setup tutorial test test-fast timings notebooks lint typecheck format messages lab \
	lab-stop lab-reset bench preflight wheelhouse handout site slides uninstall room-venv clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

$(LEARNER_STAMP): pyproject.toml | $(BIN)/python
ifeq ($(OFFLINE),)
	$(BIN)/python -m pip install --quiet -e .
else
	$(BIN)/python -m pip install --quiet --no-index --find-links $(WHEELHOUSE_DIR) podid-tutorial
endif
	@touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,room]'
	@touch $@ $(LEARNER_STAMP) $(SITE_STAMP)

$(SITE_STAMP): pyproject.toml | $(LEARNER_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[site]'
	@touch $@

$(VENDOR): tools/vendor/package.json tools/vendor/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed once to fetch mermaid and reveal.js (apt-get install npm)"; exit 1; }
	npm ci --prefix tools/vendor --no-audit --no-fund --loglevel=error

# An editable install skips pyproject's data-files: this turns on the lab's Jupyter pages.
$(JUPYTER_PAGES): jupyter-config/jupyter_server_config.d/podid_lab.json | $(BIN)/python
	mkdir -p $(dir $@)
	cp $< $@

install: $(LEARNER_STAMP) $(JUPYTER_PAGES) ## install the tutorial and the lab only (OFFLINE=1: from the wheelhouse)

setup: $(STAMP) $(JUPYTER_PAGES) ## create .venv and install the tutorial, the lab and the test tools

.PHONY: language-pack-ja
language-pack-ja: install ## JupyterLab's menus in Japanese too (then Settings → Language → Japanese)
	$(BIN)/python -m pip install --quiet -e '.[ja]'

tutorial: install ## start the lab and open JupyterLab on the notebooks
	$(BIN)/podid-lab start
	@# Its terminals find podid-lab, podid-check and (after `podid-lab az-install`) az: bash
	@# keeps this PATH (a login shell, Jupyter's choice without a tty, would reset it).
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab --notebook-dir=notebooks \
		$(if $(filter 0,$(shell id -u)),--allow-root) \
		--ServerApp.jpserver_extensions="{'podid_lab.jupyter_signin': True, 'podid_lab.jupyter_route': True}" \
		--ServerApp.terminado_settings="{'shell_command': ['bash']}"

test: setup ## the whole suite: unit, lab conformance, notebooks (nbval), browser
	$(BIN)/python -m pytest $(PARALLEL) --junitxml=$(JUNIT)

test-fast: setup ## the everyday loop: everything not marked slow (no notebooks, az, browser)
	$(BIN)/python -m pytest $(PARALLEL) tests -m 'not slow'

timings: ## the last `make test`'s 20 slowest tests and each notebook's time
	$(PYTHON) bench/timings.py $(JUNIT)

notebooks: setup ## re-run notebooks/NN-*.ipynb and notebooks/ja/NN-*.ipynb on fresh labs and store their outputs
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

LOCALE := podid_helpers/locale
# The template is an intermediate (build/ is not committed); the .po and its .mo are.
messages: setup ## extract the helpers' messages, merge them into the Japanese catalog, compile it
	mkdir -p build
	$(BIN)/pybabel extract -F pyproject.toml --no-location --sort-output --omit-header \
		-o build/podid_helpers.pot podid_helpers
	$(BIN)/pybabel update -D podid_helpers -i build/podid_helpers.pot -d $(LOCALE) -l ja \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -D podid_helpers -d $(LOCALE) -l ja --statistics

lab: setup ## start the lab in the background
	$(BIN)/podid-lab start

lab-stop: setup ## stop the lab
	$(BIN)/podid-lab stop

lab-reset: setup ## forget every lab resource (keeps CA, keys, secret, port)
	$(BIN)/podid-lab reset

bench: setup ## measure the lab (start, latency, 50 learners, clusters, demo pods, event recording)
	$(BIN)/python bench/bench_lab.py
	$(BIN)/python bench/bench_pods.py
	$(BIN)/python bench/bench_events.py

room-venv: ## (root) the Python environment learners' servers run from in a room
	$(ROOM_PYTHON) -m venv $(ROOM_VENV)
	$(ROOM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(ROOM_VENV)/bin/python -m pip install --quiet '.[room]'
	$(ROOM_VENV)/bin/python -m pip install --quiet --force-reinstall --no-deps .
	chmod -R a+rX $(ROOM_VENV)

preflight: install ## check this machine is ready for the tutorial (Python, kubectl, lab, port, disk)
	$(BIN)/podid-tutorial preflight

wheelhouse: install ## dist/wheelhouse: every wheel the tutorial needs, for an install with no network
	rm -rf $(WHEELHOUSE_DIR)
	$(BIN)/python -m pip wheel --quiet --wheel-dir $(WHEELHOUSE_DIR) .
	@echo "$$(ls $(WHEELHOUSE_DIR) | wc -l) wheels in $(WHEELHOUSE_DIR); learners: make install OFFLINE=1"

handout: install ## dist/handout: learner notebooks (no solutions) and the instructor edition
	$(BIN)/python tools/make_handout.py notebooks dist/handout

site: $(SITE_STAMP) $(VENDOR) ## dist/site: the tutorial as static HTML with its stored outputs, offline
	$(BIN)/python tools/build_site.py dist/site

slides: $(VENDOR) ## dist/slides: the introduction's slides (reveal.js, offline)
	$(PYTHON) tools/build_slides.py dist/slides

uninstall: ## remove what the tutorial made (lab home, settings, kubeconfigs, az files), then .venv
	@if [ -x $(BIN)/podid-tutorial ]; then $(BIN)/podid-tutorial uninstall; fi
	$(MAKE) clean

clean: ## remove the virtual environment, caches, dist/ and the vendored JavaScript
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts *.egg-info build dist tools/vendor/node_modules
