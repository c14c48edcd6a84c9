"""The S5 word problem played as legal chess: the reduction behind "UCI chess is NC1-hard".

Five white pieces, one rook and four queens, stand on a1-e1; the squares above them
(rank 2) are spare. The transposition ``t_i`` (i = 0..3) swaps the contents of the
neighbouring squares ``ROW[i]`` and ``ROW[i + 1]`` in four white moves, each a rook move
so that it is legal whichever piece stands there::

    t_0:  a1a2  b1a1  a2b2  b2b1     (up to the spare square, across, across, down)

Black answers each white move by shuttling its knight g8-h6-g8, so one transposition is
eight plies. In UCI the text of ``t_i`` never depends on where the rook is, so telling
whether the rook stands on a square after a word of transpositions is as hard as the S5
word problem (NC1-complete, Barrington 1989). In SAN every move names its piece (``Ra2``
vs ``Qa2``), so the rook's square is where the last ``R`` move went: a TC0 control.

Automatic draws are ignored: fivefold repetition and the 75-move rule end a game but do
not make a move illegal, and any reduction to arbitrarily long words must outlast them.
"""

from __future__ import annotations

from functools import cache

import chess

ROW = ("a1", "b1", "c1", "d1", "e1")
GENERATORS = len(ROW) - 1
BLACK_SHUTTLE = ("g8h6", "h6g8")
PLIES_PER_TRANSPOSITION = 8


def start_fen(rook: int = 0) -> str:
    """The position with the rook on ``ROW[rook]`` and queens on the other four squares."""
    row = ["Q"] * len(ROW)
    row[rook] = "R"
    return f"5kn1/8/8/8/8/8/8/{''.join(row)}2K w - - 0 1"


def transposition_uci(i: int) -> tuple[str, ...]:
    """The eight plies of ``t_i`` in UCI: the same text wherever the rook is."""
    a, b = ROW[i], ROW[i + 1]
    up_a, up_b = a[0] + "2", b[0] + "2"
    white = (a + up_a, b + a, up_a + up_b, up_b + b)
    return tuple(ply for pair in zip(white, BLACK_SHUTTLE * 2) for ply in pair)


def apply(rook: int, i: int) -> int:
    """Where the rook stands after ``t_i``."""
    return {i: i + 1, i + 1: i}.get(rook, rook)


@cache
def transposition_san(rook: int, i: int) -> tuple[str, ...]:
    """The eight plies of ``t_i`` in SAN, played by python-chess from the canonical position.

    Each move is checked legal and the result is checked to be the canonical position of
    the rook's new square, so every word of transpositions is a legal game.
    """
    board = chess.Board(start_fen(rook))
    san = []
    for uci in transposition_uci(i):
        move = chess.Move.from_uci(uci)
        if not board.is_legal(move):
            raise AssertionError(f"t_{i} with the rook on {ROW[rook]}: {uci} is illegal")
        san.append(board.san(move))
        board.push(move)
    expected = chess.Board(start_fen(apply(rook, i)))
    if board.board_fen() != expected.board_fen():
        raise AssertionError(f"t_{i} with the rook on {ROW[rook]} ends in {board.board_fen()}")
    return tuple(san)


def final_square(rook: int, word: tuple[int, ...]) -> int:
    """Where the rook stands after ``word``, starting on ``ROW[rook]``."""
    for i in word:
        rook = apply(rook, i)
    return rook


def render(word: tuple[int, ...], notation: str, rook: int = 0) -> tuple[str, list[int]]:
    """The move list of ``word`` from the rook on ``ROW[rook]``, and the rook's square index
    after each transposition."""
    trace, tokens = [], []
    for k, i in enumerate(word):
        if notation == "uci":
            tokens.extend(transposition_uci(i))
        else:
            plies = transposition_san(rook, i)
            for j in range(0, PLIES_PER_TRANSPOSITION, 2):
                tokens.extend((f"{4 * k + j // 2 + 1}.", plies[j], plies[j + 1]))
        rook = apply(rook, i)
        trace.append(rook)
    return " ".join(tokens), trace
