# `make test` and `make demo` set everything up on a fresh machine.
# CPU torch is pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup test lint demo bench tasks clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest -q -ra

tasks: $(STAMP)
	$(PY) task_yamls/_generate_configs.py

# Evaluates the bundled reference models through lm_eval and prints accuracy vs length.
demo: $(STAMP)
	$(PY) -m lm_eval_statetrack.cli demo

bench: $(STAMP)
	$(PY) benchmarks/bench_generation.py

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache
