# `make test` and `make demo` set everything up on a fresh machine.
# CPU torch is pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
MAMBA_CPU_STAMP := $(VENV)/.mamba-cpu-stamp
# mamba-ssm and causal-conv1d without their CUDA extensions (nothing compiles): the tests
# route their kernels to the packages' pure-torch references (tests/mamba_cpu), so
# backend=mamba_ssm is tested on a CPU. --no-deps keeps out their CUDA-only dependencies
# (tilelang, quack-kernels, cutlass); triton is imported by mamba-ssm's modules.
MAMBA_CPU_SPEC ?= mamba-ssm==2.3.2.post1 causal-conv1d==1.7.0
MAMBA_CPU_ENV := MAMBA_SKIP_CUDA_BUILD=TRUE MAMBA_FORCE_BUILD=TRUE \
	CAUSAL_CONV1D_SKIP_CUDA_BUILD=TRUE CAUSAL_CONV1D_FORCE_BUILD=TRUE

# The compatibility set (tests/compat) runs on the oldest supported lm-eval and on the 0.5
# pre-release, each in its own venv holding only lm-eval (and what that version adds to the
# main venv's packages) plus this package; a .pth line after its own site-packages lends it
# the main venv's torch, transformers and the rest, so no second torch is installed.
COMPAT_LM_EVAL ?= 0.4.10 0.5.0.dev1
COMPAT_EXTRA_0.4.10 := jsonlines zstandard
MAIN_SITE = $(shell $(PY) -c "import sysconfig; print(sysconfig.get_path('purelib'))")
COMPAT_STAMPS := $(foreach v,$(COMPAT_LM_EVAL),$(VENV)-lm-eval-$(v)/.installed-stamp)

.PHONY: setup test test-compat lint demo bench tasks clean

setup: $(STAMP) $(MAMBA_CPU_STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

$(MAMBA_CPU_STAMP): $(STAMP)
	$(PY) -m pip install -q "$(TORCH_SPEC)" setuptools packaging einops "triton>=3.5"
	$(MAMBA_CPU_ENV) $(PY) -m pip install -q --no-deps --no-build-isolation $(MAMBA_CPU_SPEC)
	touch $(MAMBA_CPU_STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Two pytest workers, one file each at a time (a file's module fixtures run once), one torch
# thread each: most tests wait on single-threaded lm_eval subprocesses.
test: lint $(MAMBA_CPU_STAMP) chromium test-compat
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -ra -n 2 --dist loadfile --ignore=tests/compat

$(VENV)-lm-eval-%/.installed-stamp: $(STAMP)
	test -x $(VENV)-lm-eval-$*/bin/python || $(PYTHON) -m venv $(VENV)-lm-eval-$*
	$(VENV)-lm-eval-$*/bin/python -m pip install -q --no-deps "lm-eval==$*" $(COMPAT_EXTRA_$*)
	echo "$(MAIN_SITE)" > "$$($(VENV)-lm-eval-$*/bin/python -c \
		"import sysconfig; print(sysconfig.get_path('purelib'))")/zz_main_venv.pth"
	$(VENV)-lm-eval-$*/bin/python -m pip install -q --no-deps -e .
	touch $@

# Each version's set, the versions side by side (one process each, output kept per version;
# compat-<version> is a pattern rule, so not .PHONY: no file of that name is ever made);
# STATETRACK_MAIN_PYTHON validates its submission on the main version.
test-compat: $(COMPAT_STAMPS)
	$(MAKE) --no-print-directory -j 2 -O $(addprefix compat-,$(COMPAT_LM_EVAL))

compat-%: $(VENV)-lm-eval-%/.installed-stamp
	STATETRACK_MAIN_PYTHON=$(abspath $(PY)) $(VENV)-lm-eval-$*/bin/python -m pytest \
		-q -ra -p no:cacheprovider tests/compat

# The leaderboard page's browser test drives Debian's chromium: installed here when missing
# and running as root (CI); otherwise that test says it is skipped and why.
.PHONY: chromium leaderboard-example
chromium:
	command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || \
		(apt-get update -qq && apt-get install -y -qq chromium)

# Regenerates docs/leaderboard: reference-model runs with --log_samples, submissions, page.
leaderboard-example: $(STAMP) chromium
	$(PY) benchmarks/leaderboard_example.py --screenshot --smollm2

tasks: $(STAMP)
	$(PY) -m lm_eval_statetrack.tasks._generate_configs

# Evaluates the bundled reference models through lm_eval and prints accuracy vs length.
demo: $(STAMP)
	$(PY) -m lm_eval_statetrack.cli demo

bench: $(STAMP)
	$(PY) benchmarks/bench_generation.py

clean:
	rm -rf $(VENV) $(VENV)-lm-eval-* dist build .pytest_cache .ruff_cache
