# The course's two commands: `make lab` and `make test`. Both build .venv first.
# The venv is rebuilt when requirements.txt or pyproject.toml change.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# JupyterLab refuses to start as root (CI machines, containers) unless told it is fine.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab test unit nbval notebooks check-notebooks benchmarks clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

lab: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter lab $(ROOT_FLAG) 01_q_learning_basics.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest tests $(NOTEBOOKS) $(NBVAL)

unit: $(STAMP)
	$(BIN)/python -m pytest tests

nbval: $(STAMP)
	$(BIN)/python -m pytest $(NOTEBOOKS) $(NBVAL)

# Re-execute every notebook in place, top to bottom in a fresh kernel, keeping outputs.
# Run it whenever dqn_helpers changes, so the stored outputs never go stale.
notebooks: $(STAMP)
	for nb in $(NOTEBOOKS); do \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=1200 --ExecutePreprocessor.kernel_name=python3 "$$nb" || exit 1; \
	done
	$(BIN)/python -m pytest tests/test_notebooks_clean.py -q

check-notebooks: $(STAMP)
	$(BIN)/python -m pytest tests/test_notebooks_clean.py -q

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/solve_cartpole.py

clean:
	rm -rf $(VENV) runs .pytest_cache
