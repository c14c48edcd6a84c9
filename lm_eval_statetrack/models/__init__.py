"""The ``statetrack`` model adapter for lm-eval (``--model statetrack``).

``adapter.StateTrackLM`` is the lm-eval model; it tokenizes requests, builds a prefix
tree over them (``trie``), runs each shared prefix once and reuses its recurrent state or
KV cache for the continuations (``prefix_scorer``), decodes greedily (``generation``) and
talks to the model through one small protocol (``backends``). Nothing heavy is imported
here: lm-eval imports the adapter lazily, when ``--model statetrack`` is asked for.
"""
