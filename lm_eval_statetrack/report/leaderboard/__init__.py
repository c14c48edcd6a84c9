"""The maintainer's side of submissions: a folder of them -> a ranked, static leaderboard.

``collect`` validates each file exactly as ``statetrack validate`` does and reconciles
duplicates, ``score`` defines the headline number, ``records`` and ``page`` write the
tables and the self-contained ``index.html``, ``output`` swaps the new board in whole,
``skeleton`` writes a leaderboard repository for ``statetrack leaderboard init``.
"""

# what ``statetrack submit --architecture`` records and the page filters on
ARCHITECTURES = ("transformer", "ssm", "rnn", "hybrid", "other")
