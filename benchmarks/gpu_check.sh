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

# Data parallel on CUDA: 2 ranks (both on GPU 0 when only one GPU is present; one
# per GPU otherwise) vs one process, same tasks; the samples must be equal bit for bit.
NGPU=$($PY -c "import torch; print(torch.cuda.device_count())" 2>/dev/null || echo 0)
if [ "${NGPU:-0}" -ge 1 ]; then
  [ "$NGPU" -ge 2 ] && DEVICES=0,1 || DEVICES=0,0
  DP_ARGS=(--model statetrack --model_args "pretrained=lm_eval_statetrack/reference_models/transformer-2l-z60"
    --tasks statetrack_wordproblem_z60_len32,statetrack_wordproblem_z60_len16 --limit 40
    --batch_size 8 --log_samples)
  timeout 120 $PY -m lm_eval "${DP_ARGS[@]}" --output_path "$OUT/dp_one" > "$OUT/dp_one.log" 2>&1
  # LOCAL_RANK picks the GPU; with one GPU both ranks share it through CUDA_VISIBLE_DEVICES=0.
  [ "$NGPU" -ge 2 ] || export CUDA_VISIBLE_DEVICES=0
  timeout 180 $PY -m torch.distributed.run --nproc_per_node 2 -m lm_eval "${DP_ARGS[@]}" \
    --output_path "$OUT/dp_two" > "$OUT/dp_two.log" 2>&1
  dp_status=$?
  $PY - "$OUT" <<'PYEOF'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
def samples(d):
    return sorted((p.name.split("_20")[0], l) for p in (out / d).rglob("samples_*.jsonl")
                  for l in p.read_text().splitlines())
one, two = samples("dp_one"), samples("dp_two")
print(f"data parallel (2 ranks on CUDA): {len(two)} samples, equal to one process: {bool(one) and one == two}")
PYEOF
  [ "$dp_status" -eq 0 ] || echo "torchrun data parallel failed ($dp_status): see $OUT/dp_two.log (GPUs $DEVICES)"
fi
exit "$status"
