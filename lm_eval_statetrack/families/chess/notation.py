"""Move lists as text, both ways: UCI (``e2e4 e7e5 e1g1``) and numbered SAN (``1. e4 e5``).

UCI names only the source and target squares, so knowing which piece moved means tracking
the board (the NC1-complete setting of Merrill et al. 2024); SAN names the piece. The
parser is strict: it accepts exactly what the renderer writes (canonical SAN with check
marks, correct move numbers) and raises :class:`NotationError`, naming the ply, the token
and the position, for anything malformed or illegal. Documents are built from the parsed
text, so every answer is a function of what the model reads.
"""

from __future__ import annotations

import re

import chess

NOTATIONS = ("uci", "san")
UCI_TOKEN = re.compile(r"[a-h][1-8][a-h][1-8][qrbn]?")


class NotationError(ValueError):
    """A move list that is malformed or plays an illegal move."""


def check_notation(notation: str) -> str:
    if notation not in NOTATIONS:
        raise ValueError(f"unknown notation {notation!r}; valid notations: {', '.join(NOTATIONS)}")
    return notation


def render(board: chess.Board, moves: list[chess.Move], notation: str) -> str:
    """The move list from ``board``'s position (``board`` is left unchanged)."""
    if check_notation(notation) == "uci":
        return " ".join(move.uci() for move in moves)
    board = board.copy(stack=False)
    tokens = []
    for move in moves:
        if board.turn == chess.WHITE:
            tokens.append(f"{board.fullmove_number}.")
        elif not tokens:
            tokens.append(f"{board.fullmove_number}...")
        tokens.append(board.san(move))
        board.push(move)
    return " ".join(tokens)


def _error(board: chess.Board, ply: int, token: str, reason: str) -> NotationError:
    return NotationError(f"ply {ply} ({token!r}) in position {board.fen()!r}: {reason}")


def _uci_move(board: chess.Board, ply: int, token: str) -> chess.Move:
    if not UCI_TOKEN.fullmatch(token):
        raise _error(
            board,
            ply,
            token,
            "malformed UCI move; expected <from><to>[promotion], e.g. e2e4, e7e8q",
        )
    move = chess.Move.from_uci(token)
    if not board.is_legal(move):
        raise _error(board, ply, token, "illegal move")
    return move


def _san_move(board: chess.Board, ply: int, token: str) -> chess.Move:
    try:
        move = board.parse_san(token)
    except chess.IllegalMoveError:
        raise _error(board, ply, token, "illegal move") from None
    except ValueError:  # InvalidMoveError, AmbiguousMoveError
        raise _error(board, ply, token, "malformed or ambiguous SAN move") from None
    canonical = board.san(move)
    if token != canonical:
        raise _error(board, ply, token, f"non-canonical SAN; write {canonical!r}")
    return move


def _expect_number(board: chess.Board, tokens: list[str], i: int, ply: int) -> int:
    """Consume the move number that must stand before this ply; return the next index."""
    white = board.turn == chess.WHITE
    if not (white or i == 0):
        return i
    want = f"{board.fullmove_number}." + ("" if white else "..")
    got = tokens[i] if i < len(tokens) else "<end>"
    if got != want:
        raise _error(board, ply, got, f"expected move number {want!r}")
    if i + 1 == len(tokens):
        raise _error(board, ply, got, "move number without a move")
    return i + 1


def parse(text: str, notation: str, board: chess.Board | None = None) -> chess.Board:
    """Play the move list ``text`` on ``board`` (default: the starting position), strictly.

    Returns the board after the last move, with the moves in ``move_stack``.
    """
    check_notation(notation)
    board = chess.Board() if board is None else board.copy(stack=False)
    tokens = text.split()
    if not tokens:
        raise NotationError("empty move list")
    i, ply = 0, 1
    while i < len(tokens):
        if notation == "uci":
            move = _uci_move(board, ply, tokens[i])
        else:
            i = _expect_number(board, tokens, i, ply)
            move = _san_move(board, ply, tokens[i])
        board.push(move)
        i, ply = i + 1, ply + 1
    return board
