"""Re-derives a chess doc from its prompt text alone, on a fresh python-chess board.

The prompt's start line, move list and question are parsed with this module's own
regular expressions; moves are read with python-chess's parsers (not ours) and must be
written exactly as python-chess writes them (``Move.uci()``, ``Board.san()``), so a
castling, en passant or promotion rendered wrongly fails here. What the oracle cannot see
in the text, the next move of the game behind ``endsquare``, is only checked to be legal.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import chess

from oracles.common import OracleError, match

START = {"the standard starting position": chess.STARTING_FEN}
PROMPT = (
    r"Chess game from (?:the position (?P<fen>[^\n]+) \(FEN\)|(?P<standard>the standard "
    r"starting position))\.\nMoves \((?P<notation>UCI|SAN)\): (?P<moves>[^\n]+)\n"
    r"Question: (?P<question>[^\n]+)\nAnswer:"
)
QUESTIONS = {
    "piece": r"Which piece is on ([a-h][1-8]) now\?",
    "endsquare": r"The next move is made by the piece on ([a-h][1-8])\. "
    r"On which square does it land\?",
    "legal": r"Which squares can the piece on ([a-h][1-8]) legally move to\? List them in "
    r"alphabetical order\.",
}


@dataclass
class Replay:
    """The position a prompt describes, and how its special moves were written."""

    board: chess.Board
    notation: str
    kind: str
    square: int
    watched: list = field(default_factory=list)  # ``watch(board, square)`` after each ply
    special: Counter = field(default_factory=Counter)  # (kind, token shape) -> count


def _shape(token: str) -> str:
    """A special move's spelling with squares and files blanked: ``exd6`` -> ``fxs``."""
    return re.sub(r"[a-h][1-8]", "s", re.sub(r"^[a-h]x", "fx", token))


def _position(board: chess.Board) -> tuple:
    """Everything legality and notation depend on (not the move clocks)."""
    return (
        board.pawns, board.knights, board.bishops, board.rooks, board.queens, board.kings,
        board.occupied_co[chess.WHITE], board.turn, board.castling_rights, board.ep_square,
    )  # fmt: skip


def _read(board: chess.Board, token: str, notation: str) -> chess.Move:
    try:
        move = board.parse_uci(token) if notation == "UCI" else board.parse_san(token)
    except ValueError as error:
        raise OracleError(f"{token!r} in {board.fen()}: {error}") from None
    written = move.uci() if notation == "UCI" else board.san(move)
    if written != token:
        raise OracleError(f"{token!r} in {board.fen()} should be written {written!r}")
    return move


_READ: dict[tuple, chess.Move] = {}  # positions recur (shared openings, the S5 gadget)


def _play(board: chess.Board, token: str, notation: str) -> chess.Move:
    """``token`` read in ``board``'s position: parsed and checked once per position."""
    key = (_position(board), token, notation)
    if key not in _READ:
        _READ[key] = _read(board, token, notation)
    return _READ[key]


def replay(prompt: str, watch: Callable[[chess.Board, int], object] | None = None) -> Replay:
    m = match(PROMPT, prompt, "chess prompt")
    board = chess.Board(m["fen"] or chess.STARTING_FEN)
    kind, square = next(
        (
            (k, re.fullmatch(p, m["question"]))
            for k, p in QUESTIONS.items()
            if re.fullmatch(p, m["question"])
        ),
        (None, None),
    )
    if kind is None:
        raise OracleError(f"unknown question {m['question']!r}")
    out = Replay(board, m["notation"], kind, chess.parse_square(square.group(1)))
    tokens = m["moves"].split(" ")
    i = 0
    while i < len(tokens):
        if m["notation"] == "SAN" and (board.turn == chess.WHITE or i == 0):
            number = f"{board.fullmove_number}." + ("" if board.turn == chess.WHITE else "..")
            if tokens[i] != number:
                raise OracleError(f"expected move number {number!r}, got {tokens[i]!r}")
            i += 1
        token = tokens[i]
        move = _play(board, token, m["notation"])
        for name, is_it in (
            ("castling", board.is_castling),
            ("en passant", board.is_en_passant),
            ("promotion", lambda mv: mv.promotion is not None),
        ):
            if is_it(move):
                out.special[name, _shape(token)] += 1
        board.push(move)
        if watch is not None:
            out.watched.append(watch(board, out.square))
        i += 1
    return out


def piece_name(piece: chess.Piece | None) -> str:
    if piece is None:
        return "empty"
    return f"{'white' if piece.color else 'black'} {chess.piece_name(piece.piece_type)}"


def destinations(board: chess.Board, square: int) -> list[str]:
    return sorted(
        {chess.square_name(m.to_square) for m in board.legal_moves if m.from_square == square}
    )


def _on_square(board: chess.Board, square: int) -> chess.Piece | None:
    return board.piece_at(square)


def _rooks(board: chess.Board, square: int) -> int:
    return board.rooks


def check(doc: dict) -> Replay:
    """Raise OracleError unless ``doc``'s answer and trace follow from its prompt."""
    s5 = doc["variant"].startswith("s5reduction")
    r = replay(doc["prompt"], _rooks if s5 else _on_square)
    board, square, choices = r.board, r.square, doc["choices"]
    gold = choices[doc["answer"]]
    if r.kind == "piece":
        want = piece_name(board.piece_at(square))
        if want not in choices or gold != want:
            raise OracleError(f"{chess.square_name(square)} holds {want}, doc says {gold}")
    elif r.kind == "endsquare":
        legal = destinations(board, square)
        if choices != list(chess.SQUARE_NAMES) or gold not in legal or doc["targets"] != legal:
            raise OracleError(f"{gold} / {doc['targets']} vs legal {legal}")
        if doc["next_move"][:4] != chess.square_name(square) + gold:
            raise OracleError(
                f"next move {doc['next_move']} is not from the asked square to {gold}"
            )
    else:
        legal = destinations(board, square)
        if not legal or gold != " ".join(legal) or doc["targets"] != legal:
            raise OracleError(f"{gold!r} vs legal destinations {legal}")
    if s5:  # the rook's square after each transposition (8 plies)
        trace = [",".join(map(chess.square_name, chess.SquareSet(bb))) for bb in r.watched[7::8]]
    else:
        trace = [piece_name(piece) for piece in r.watched]
    if doc["trace"] != trace:
        raise OracleError(f"trace {doc['trace'][:8]}... vs replay {trace[:8]}...")
    return r
