"""The token ids shared by the trainer, the models and the tokenizer (no imports, so the
CLI can build its parser without loading torch)."""

from lm_eval_statetrack.training.vocab import SPECIAL_TOKENS

#: One tokenizer for every group: element names "0".."119" (S5 is the largest), then "=".
SYMBOLS = tuple(str(i) for i in range(120)) + ("=",)
ELEMENT_OFFSET = len(SPECIAL_TOKENS)  # token id of element i is ELEMENT_OFFSET + i
EQUALS_ID = ELEMENT_OFFSET + len(SYMBOLS) - 1
VOCAB_SIZE = ELEMENT_OFFSET + len(SYMBOLS)
