# Two entry points: `make train` (the main job) and `make test` (the whole suite).
# Each creates its own virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: train test lint bench clean

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

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
