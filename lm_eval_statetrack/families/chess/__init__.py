"""The chess family: games in UCI (the hard side) and SAN (the control), S5 as chess.

``family`` holds the tasks and their questions, ``games`` the seeded game streams,
``notation`` the strict UCI/SAN parser and renderer, ``s5`` the S5-as-chess reduction and
``scoring`` the generative tasks' metrics.
"""
