# bhlib: two commands set everything up on a fresh machine.
#   make run   create .venv, install, fetch data, run the main job
#   (make reproduce: the full protocol of the comparison, 27.5 minutes on 2 cores)
#   make test  create .venv, install, run lint (ruff), then pytest (unit tests, doctests,
#              notebooks under nbval, the nbgrader cycle, the book, and the browser suite in
#              Chromium when it is installed)
# For a class: make assignments (nbgrader student versions in release/), make book (the offline
# site in build/book/), make lab / make dashboard (serve the notebooks).
SHELL  := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
TORCH  := torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: run reproduce test lint lab dashboard bench notebooks sizes clean venv assignments book

# Create .venv and install; again when the dependency list changes. One make at a time does it
# (flock): a second make started meanwhile waits, then finds everything installed.
$(STAMP): pyproject.toml
	@mkdir -p $(VENV)
	flock $(VENV)/.setup.lock $(MAKE) --no-print-directory venv

# torch first so pip keeps the CPU build; called by the rule above, with the lock held
venv:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then echo "$(VENV) is up to date"; \
	else \
	  $(PIP) install $(TORCH) 2>&1 | sed "/is ignored: it is neither/d"; \
	  $(PIP) install -e ".[notebooks,test,classroom,distributed]" 2>&1 | sed "/is ignored: it is neither/d"; \
	  $(PY) -c "import torch, bhlib; assert torch.__version__.startswith('2.13.0'), torch.__version__"; \
	  touch $(STAMP); \
	fi

# sizes and collisions of every scheme at equal memory for 10^6 ids (about 15 s, as make sizes),
# then the paper's comparison: MovieLens-100K and a 10^6-id synthetic set, every scheme, 3 seeds,
# as many runs at once as the machine has cores (loky workers, one torch thread each;
# RUN_ARGS=--workers=1 for one after another); resumable (finished runs are skipped), writes
# results/. One command, so the lock on results/ comes first: a second make run meanwhile exits
# at once (status 3) with the first one's PID.
run: $(STAMP)
	$(PY) -m bhlib.experiment --sizes $(RUN_ARGS)

# the full protocol (bhlib/experiment/reproduce.py): learning rates tuned on a grid for every
# dataset, method and ratio, then 5 seeds, the ablations, a 10^7-id synthetic field; resumable,
# on as many workers as cores; writes results/reproduce/ (REPRODUCE_ARGS=--commit-tuned also
# updates bhlib/experiment/tuned.json, which make run uses)
reproduce: $(STAMP)
	$(PY) -m bhlib.experiment.reproduce $(REPRODUCE_ARGS)

# ruff (rules in pyproject.toml) over the package, tests, benchmarks and notebooks
lint: $(STAMP)
	$(VENV)/bin/ruff check .

# lint, then unit tests, doctests, every notebook and worked solution under nbval (lax mode: cells
# marked NBVAL_CHECK_OUTPUT must reproduce their committed outputs), the nbgrader cycle and the
# book build, on two workers (pytest-xdist; a file's tests stay on one worker, in order); then the
# browser suite on its own, so that its latency checks share the machine with nothing else
# (tests/browser: JupyterLab, Voila and the book in headless Chromium; skipped, with the reason
# printed, when /usr/bin/chromium is missing). BHLIB_QUICK=1 shortens training.
PYTEST := BHLIB_QUICK=1 $(PY) -m pytest -q -rs -p no:cacheprovider
WORKERS ?= 2
test: lint
	$(PYTEST) -n $(WORKERS) --dist loadfile tests bhlib --ignore=tests/browser \
	  --nbval-lax --nbval-current-env notebooks
	$(PYTEST) tests/browser

# re-execute the notebooks in place (quick mode, as CI checks them)
notebooks: $(STAMP)
	$(PY) notebooks/execute.py

bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

sizes: $(STAMP)
	$(PY) -m bhlib.collisions

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# the notebooks as dashboards (Voila: outputs and widgets, code hidden) on http://127.0.0.1:8866;
# a closed page's kernel is not always shut down by Voila 0.5, so kernels idle for 15 min are culled;
# the classroom extra's nbgrader and notebook front ends are JupyterLab's, not a dashboard's
dashboard: $(STAMP)
	$(VENV)/bin/voila notebooks --no-browser --Voila.ip=127.0.0.1 --port=8866 \
	  --MappingKernelManager.cull_idle_timeout=900 --MappingKernelManager.cull_interval=60 \
	  --VoilaConfiguration.extension_denylist=@jupyter/nbgrader \
	  --VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension

# nbgrader: the student versions of the seven lessons (solutions cleared, hidden tests removed) in
# release/, from an nbgrader course laid out in build/course/ (see notebooks/README.md)
assignments: $(STAMP)
	$(PY) notebooks/assignments.py

# the notebooks as a static HTML site that works offline (Jupyter Book 1.x, nothing executed; the
# students' copy, `$(PY) book/build.py --instructor` for the teacher's): build/book/_build/html/
book: $(STAMP)
	$(PY) book/build.py

clean:
	rm -rf $(VENV) results
