# Two entry points: `make train` (the main job) and `make test` (the whole suite);
# `make notebooks` turns the lessons into Jupyter notebooks in tutorials/notebooks/.
# Each creates its own virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: train test lint bench notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

train: $(STAMP)
	$(BIN)/tinygrad-cnn train

test: $(STAMP)
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check tinygrad_cnn viz tests benchmarks tutorials examples

bench: $(STAMP)
	for b in targets engine cnn lenet viz; do $(BIN)/python benchmarks/bench_$$b.py || exit 1; done

# the lessons as .ipynb files (generated, git-ignored: edit the .py lessons), run by this
# environment's Python kernel
notebooks: $(STAMP)
	$(BIN)/jupytext --to notebooks//ipynb --set-kernel python3 tutorials/[0-9][0-9]_*.py
	@echo "notebooks in tutorials/notebooks/: open them in VS Code, or in JupyterLab" \
	  "($(BIN)/pip install jupyterlab && $(BIN)/jupyter lab tutorials/notebooks)"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis tutorials/notebooks
