"""Reports and leaderboard submissions from lm-eval results files.

``load`` reads results JSON into runs, ``summary`` turns runs into curves and horizons,
``tables`` and ``plots`` write them, ``readme`` updates a README section, ``submission``
builds and validates leaderboard files, with the per-sample records ``evidence`` bundles
and recomputes. Only ``plots`` needs matplotlib (the ``report`` extra).
"""
