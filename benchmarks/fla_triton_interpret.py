"""Can fla's Triton kernels be tested on a CPU? Times a tiny Gated DeltaNet under Triton's
interpreter.

    pip install --target DIR --no-deps flash-linear-attention fla-core
    TRITON_INTERPRET=1 PYTHONPATH=DIR .venv/bin/python benchmarks/fla_triton_interpret.py

Triton's autotuner benchmarks its configs through a GPU driver, which the interpreter does
not have, so every autotuned kernel is limited to its first config here. Prints the time
of a forward over 16 and 64 tokens and of 4 decoding steps on top of the cache, for 3 rows.
"""

from __future__ import annotations

import os
import time

import torch
import triton.runtime.autotuner as autotuner


def main() -> None:
    if os.environ.get("TRITON_INTERPRET") != "1":
        raise SystemExit("run with TRITON_INTERPRET=1 (see the docstring)")
    prune = autotuner.Autotuner.prune_configs
    autotuner.Autotuner.prune_configs = lambda self, *a, **k: prune(self, *a, **k)[:1]
    torch.set_num_threads(1)
    from fla.models import GatedDeltaNetConfig, GatedDeltaNetForCausalLM

    config = GatedDeltaNetConfig(
        hidden_size=64,
        head_dim=32,
        num_heads=2,
        num_hidden_layers=2,
        vocab_size=300,
        allow_neg_eigval=True,
        fuse_cross_entropy=False,
    )
    torch.manual_seed(0)
    model = GatedDeltaNetForCausalLM(config).eval()
    for length in (16, 64):
        ids = torch.randint(0, 300, (3, length))
        with torch.no_grad():
            start = time.time()
            out = model(ids, use_cache=True)
            forward = time.time() - start
            start = time.time()
            for _ in range(4):
                out = model(ids[:, -1:], past_key_values=out.past_key_values, use_cache=True)
            steps = time.time() - start
        print(f"3 rows: forward of {length} tokens {forward:.1f} s; 4 steps {steps:.1f} s")


if __name__ == "__main__":
    main()
