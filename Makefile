# The course's two commands: `make lab` and `make test`. Both build .venv first.
# The venv is rebuilt when requirements.txt or pyproject.toml change.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# JupyterLab refuses to start as root (CI machines, containers) unless told it is fine.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab test unit nbval notebooks check-notebooks benchmarks study stacks student grading-check links clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Tools only the tests need (repo2docker's configuration check), on top of requirements.txt.
$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

lab: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter lab $(ROOT_FLAG) 01_q_learning_basics.ipynb

test: $(DEV_STAMP)
	$(BIN)/python -m pytest tests $(NOTEBOOKS) $(NBVAL)

unit: $(DEV_STAMP)
	$(BIN)/python -m pytest tests

nbval: $(DEV_STAMP)
	$(BIN)/python -m pytest $(NOTEBOOKS) $(NBVAL)

# Re-execute every notebook in place, top to bottom in a fresh kernel, keeping outputs.
# Run it whenever dqn_helpers changes, so the stored outputs never go stale.
notebooks: $(STAMP)
	for nb in $(NOTEBOOKS); do \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=1200 --ExecutePreprocessor.kernel_name=python3 "$$nb" || exit 1; \
	done
	$(BIN)/python -m pytest tests/test_notebooks_clean.py tests/test_prose_numbers.py -q

check-notebooks: $(STAMP)
	$(BIN)/python -m pytest tests/test_notebooks_clean.py tests/test_prose_numbers.py -q

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/solve_cartpole.py
	$(BIN)/python benchmarks/population.py

# Notebook 06's study: three sweeps into study/runs/ (resumable: run it again after a Ctrl-C),
# then the tables it commits into dqn_helpers/study_data/. About half an hour on 2 cores.
study: $(STAMP)
	$(BIN)/python study/run_study.py --workers 2

# The course on throwaway copies of the stacks learners land on (stacks/*.txt), as CI runs it:
# Colab's packages plus the notebooks' Colab install blocks, then repo2docker's base environment
# plus binder/; each runs notebooks 01-06. Each builds its own environment in a temporary folder (about 10 minutes each).
stacks:
	python3 tools/stacks.py colab --notebooks 01,02,03,04,05,06
	python3 tools/stacks.py binder --notebooks 01,02,03,04,05,06

# Student copies in student/: solution cells (nbgrader's cell metadata) replaced by nbgrader's stubs,
# for teachers who do not run nbgrader. Runs in .venv: the tool reads and writes notebooks with nbformat.
student: $(STAMP)
	$(BIN)/python tools/make_student.py --out student

# The course through nbgrader, as CI runs it (about 15 minutes): a throwaway environment with
# nbgrader (grading/requirements-nbgrader.txt, never in .venv), generate_assignment for every
# notebook, then autograde the instructor's solutions (full marks), the untouched student version
# (zero) and a copy with one wrong answer (exactly that exercise's points lost).
grading-check:
	python3 tools/nbgrader_check.py

# nbgitpuller links that open each notebook on a JupyterHub: `make links HUB=https://hub.example.edu`
# (REPO=owner/name and REF=... for another repository, e.g. one of student copies; default course.toml's).
links: $(STAMP)
	$(BIN)/python tools/nbgitpuller_links.py "$(HUB)" $(if $(REPO),--repo $(REPO)) $(if $(REF),--ref $(REF))

# The course's website in build/site/html: the notebooks as last run (nothing is executed, nothing
# is downloaded), README and TEACHING, with search and Binder/Colab launch buttons that follow
# course.toml. Sphinx runs in its own .venv-site (requirements-site.txt) and treats warnings as
# errors; tools/check_site.py then checks every page and internal link. `make site BROWSER=1` also
# opens every page in headless Chromium (apt-get install chromium) and proves figures, math,
# progress bars, the animation and search render. Needs Python 3.11 or newer.
SITE_VENV  := .venv-site
SITE_STAMP := $(SITE_VENV)/.installed
SITE_OUT   := build/site

$(SITE_STAMP): requirements-site.txt
	test -x $(SITE_VENV)/bin/python || $(PYTHON) -m venv $(SITE_VENV)
	$(SITE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SITE_VENV)/bin/python -m pip install --quiet -r requirements-site.txt
	touch $(SITE_STAMP)

.PHONY: site
site: $(SITE_STAMP)
	$(SITE_VENV)/bin/python site/stage.py $(SITE_OUT)/src
	rm -rf $(SITE_OUT)/html
	$(SITE_VENV)/bin/sphinx-build -b html -c site -W --keep-going -n -q $(SITE_OUT)/src $(SITE_OUT)/html
	$(SITE_VENV)/bin/python tools/check_site.py $(SITE_OUT)/html $(if $(BROWSER),--browser)

clean:
	rm -rf $(VENV) .venv-py313 notebooks/runs student .pytest_cache $(SITE_VENV) $(SITE_OUT)

# Point every Binder and Colab link (README, notebooks, course.toml) at a repository and a ref,
# add each notebook's badges and Colab install block: `make badges REPO=owner/name` for a fork,
# `make badges REF=v2026.1` to point a class at a tag (or a branch, or a commit: Binder and Colab
# open it, Colab installs it), plain `make badges` to follow course.toml, `make badges CHECK=1`
# to only list what disagrees. Runs in .venv: the tool uses nbformat.
.PHONY: badges
badges: $(STAMP)
	$(BIN)/python tools/badges.py $(if $(CHECK),--check) $(if $(REPO),--repo $(REPO)) $(if $(REF),--ref $(REF))
