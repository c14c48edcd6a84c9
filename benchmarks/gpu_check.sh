#!/bin/bash
# GPU check of the statetrack adapter: one script, figures under $OUT, a summary on stdout.
#
# On the CPU machine, once, from the project root:   ../shared/gpu/wheelhouse.sh pytest pluggy iniconfig
#   (add flash-linear-attention fla-core to also test the fla backend)
# On the GPU machine (tree + .whl/ carried over):     source .whl/prelude.sh; bash benchmarks/gpu_check.sh
# On a machine without CUDA it runs a tiny dry run of every step (mamba-ssm steps are
# recorded as skipped), e.g.  OUT=/tmp/gpu_dry PYTHON=.venv/bin/python bash benchmarks/gpu_check.sh
#
# First tests/test_adapter_gpu.py (mamba_ssm and fla backends against plain full forwards,
# if pytest is there), then (see bench_adapter.py gpu): a random-init Mamba of mamba-130m's shape in
# mamba-ssm's and transformers' formats (same weights); --model statetrack vs lm-eval's
# --model mamba_ssm and --model hf on word-problem tasks (log-likelihood, 60 multi-token
# choices); statetrack with verify=20 in bfloat16 and verify=50 in float32; the plain batched
# forward throughput (the ceiling); and the wall time of the whole statetrack_* suite.
# Knobs: LIMIT (docs per task, 100), SUITE_SECONDS (200), BUDGET_SECONDS (420); all of it
# is meant to fit one 10-minute device call.
set -uo pipefail
OUT=${OUT:-/tmp/gpu_check_out}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
if ! $PY -c "import lm_eval" 2>/dev/null && [ -f .whl/prelude.sh ]; then
  source .whl/prelude.sh || exit 1
fi
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD" TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  $PY -c "import torch, transformers; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), '| transformers', transformers.__version__)"
  for pkg in mamba_ssm causal_conv1d flash_attn fla lm_eval; do
    $PY -c "import $pkg; print('$pkg', getattr($pkg, '__version__', 'ok'))" 2>/dev/null || echo "$pkg: not importable"
  done
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"
if $PY -c "import pytest" 2>/dev/null; then
  timeout 150 $PY -m pytest -q -p no:cacheprovider tests/test_adapter_gpu.py > "$OUT/gpu_tests.txt" 2>&1
  echo "tests/test_adapter_gpu.py: $(tail -1 "$OUT/gpu_tests.txt")"
else
  echo "tests/test_adapter_gpu.py: not run (no pytest in .whl; see the header)"
fi
$PY benchmarks/bench_adapter.py gpu --out "$OUT" --limit "${LIMIT:-100}" \
  --suite-seconds "${SUITE_SECONDS:-200}" --budget-seconds "${BUDGET_SECONDS:-420}" \
  2> "$OUT/stderr.log" | tee "$OUT/summary.txt"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || { echo "bench_adapter.py failed ($status); tail of stderr:"; tail -40 "$OUT/stderr.log"; }
exit "$status"
