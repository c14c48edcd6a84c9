"""Final-state accuracy computed the way lm-eval scores a ``sym`` word-problem doc.

Every choice is one token, so lm-eval's ``acc`` (argmax of the choices' log-likelihoods
after ``... =``) is the argmax of the model's logits at ``=`` over the group's elements.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lm_eval_statetrack.families.wordproblem import group_for
from lm_eval_statetrack.training.data import encode
from lm_eval_statetrack.training.symbols import ELEMENT_OFFSET


@torch.no_grad()
def final_state_accuracy(
    model, variant: str, words: Sequence[Sequence[int]], batch_size: int = 128
) -> float:
    if not words:
        raise ValueError("no words to evaluate")
    order = group_for(variant).order
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, len(words), batch_size):
        ids, labels = encode(variant, words[start : start + batch_size])
        logits = model(ids.to(device)).logits[:, -1, ELEMENT_OFFSET : ELEMENT_OFFSET + order]
        correct += (logits.argmax(-1).cpu() + ELEMENT_OFFSET == labels[:, -1]).sum().item()
    model.train(was_training)
    return correct / len(words)
