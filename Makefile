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

.PHONY: setup lab test unit nbval notebooks check-notebooks benchmarks study stacks student clean

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

# Student copies in student/: solution cells replaced by stubs, solution blocks removed.
# Runs in .venv: the tool reads and writes notebooks with nbformat.
student: $(STAMP)
	$(BIN)/python tools/make_student.py --out student

clean:
	rm -rf $(VENV) .venv-py313 notebooks/runs student .pytest_cache

# Point every Binder and Colab link (README, notebooks, course.toml) at a repository and a ref,
# add each notebook's badges and Colab install block: `make badges REPO=owner/name` for a fork,
# `make badges REF=v2026.1` to point a class at a tag (or a branch, or a commit: Binder and Colab
# open it, Colab installs it), plain `make badges` to follow course.toml, `make badges CHECK=1`
# to only list what disagrees. Runs in .venv: the tool uses nbformat.
.PHONY: badges
badges: $(STAMP)
	$(BIN)/python tools/badges.py $(if $(CHECK),--check) $(if $(REPO),--repo $(REPO)) $(if $(REF),--ref $(REF))
