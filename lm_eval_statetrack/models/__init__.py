"""The ``statetrack`` model adapter for lm-eval (``--model statetrack``).

``adapter.StateTrackLM`` is the lm-eval model; it tokenizes requests, builds a prefix
tree over them (``trie``), runs each shared prefix once and reuses its recurrent state or
KV cache for the continuations (``prefix_scorer``), decodes greedily (``generation``) and
talks to the model through one small protocol (``backends``). Nothing heavy is imported
here: lm-eval imports the adapter lazily, when ``--model statetrack`` is asked for.
"""

MODEL_NAME = "statetrack"
MODEL_TARGET = "lm_eval_statetrack.models.adapter:StateTrackLM"


def register_model() -> None:
    """Register ``--model statetrack`` as a lazy placeholder (nothing heavy imported); the
    import hook calls this once lm-eval's own models are registered."""
    from lm_eval.api.registry import model_registry

    if MODEL_NAME not in model_registry:
        model_registry.register(MODEL_NAME, target=MODEL_TARGET)
