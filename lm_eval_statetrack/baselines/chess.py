"""Shallow rules for chess prompts: what a reader of the UCI move list gets without a board.

The rules read the start line, the moves and the asked square, and replay nothing: the only
chess they know is the starting position (the FEN line, or the standard one) and which side
moves at each ply. Rules that read the squares a move names need UCI; on SAN prompts (the
controls) they abstain.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from functools import lru_cache

import chess

from lm_eval_statetrack.baselines.rules import PriorRule, Rule

PROMPT = re.compile(
    r"Chess game from (?:the position (?P<fen>[^\n]+) \(FEN\)|the standard starting position)\."
    r"\nMoves \((?P<notation>UCI|SAN)\): (?P<moves>[^\n]+)\nQuestion: (?P<question>[^\n]+)"
)
ASKED = re.compile(r"\bon ([a-h][1-8])\b")
MOVE_NUMBER = re.compile(r"\d+\.(\.\.)?")
PROMOTION = {"q": chess.QUEEN, "r": chess.ROOK, "b": chess.BISHOP, "n": chess.KNIGHT}


@dataclass(frozen=True)
class Event:
    """The last ply whose text names the asked square: it arrived there or left it."""

    ply: int
    arrived: bool
    source: int
    target: int
    promotion: str


@dataclass(frozen=True)
class Reading:
    """What a prompt says without a board."""

    uci: bool
    kind: str  # "piece" (also s5reduction), "endsquare" or "legal"
    start: chess.Board  # the start position, no moves played
    moves: tuple[str, ...]  # one token per ply (SAN move numbers dropped)
    square: int  # the asked square

    def mover(self, ply: int) -> bool:
        """The colour that plays ply ``ply`` (0-based): read off the parity."""
        return self.start.turn if ply % 2 == 0 else not self.start.turn

    @property
    def last_event(self) -> Event | None:
        """None when no ply names the asked square (or the moves are not UCI)."""
        if not self.uci:
            return None
        for ply in range(len(self.moves) - 1, -1, -1):
            move = self.moves[ply]
            source, target = chess.parse_square(move[:2]), chess.parse_square(move[2:4])
            if self.square in (source, target):
                return Event(ply, target == self.square, source, target, move[4:])
        return None


@lru_cache(maxsize=4)
def read(prompt: str) -> Reading | None:
    """The prompt's parts, or None for a prompt this module does not know."""
    m = PROMPT.match(prompt)
    if m is None:
        return None
    question = m["question"]
    kind = (
        "endsquare"
        if question.startswith("The next move")
        else "legal"
        if question.startswith("Which squares")
        else "piece"
    )
    start = chess.Board(m["fen"] or chess.STARTING_FEN)
    asked = chess.parse_square(ASKED.search(question).group(1))
    moves = tuple(t for t in m["moves"].split() if not MOVE_NUMBER.fullmatch(t))
    return Reading(m["notation"] == "UCI", kind, start, moves, asked)


def name(color: bool, piece_type: int) -> str:
    return f"{'white' if color else 'black'} {chess.piece_name(piece_type)}"


def index(choices: list[str], answer: str) -> int | None:
    return choices.index(answer) if answer in choices else None


def last_moved_to(prompt: str, choices: list[str]) -> int | None:
    """The piece of the last ply that named the asked square: colour from the ply's parity,
    kind from a promotion letter or from what started on the move's source square
    (abstains where that square started empty); empty if that ply left the square; the
    starting occupant if no ply named it."""
    r = read(prompt)
    if r is None or r.kind != "piece" or not r.uci:
        return None
    event = r.last_event
    if event is None:
        piece = r.start.piece_at(r.square)
        return index(choices, "empty" if piece is None else name(piece.color, piece.piece_type))
    if not event.arrived:
        return index(choices, "empty")
    started = r.start.piece_type_at(event.source)
    kind = PROMOTION[event.promotion] if event.promotion else started
    return None if kind is None else index(choices, name(r.mover(event.ply), kind))


SAN_LETTER = {"N": chess.KNIGHT, "B": chess.BISHOP, "R": chess.ROOK, "Q": chess.QUEEN}
SAN_SQUARE = re.compile(r"[a-h][1-8]")


def san_arrivals(token: str, white: bool) -> list[tuple[int, int]]:
    """(square, piece type) that a SAN move lands on: its target square, and for castling
    the king's and the rook's squares."""
    rank = "1" if white else "8"
    if token.startswith("O-O-O"):
        return [
            (chess.parse_square("c" + rank), chess.KING),
            (chess.parse_square("d" + rank), chess.ROOK),
        ]
    if token.startswith("O-O"):
        return [
            (chess.parse_square("g" + rank), chess.KING),
            (chess.parse_square("f" + rank), chess.ROOK),
        ]
    promotion = re.search(r"=([NBRQ])", token)
    kind = (
        SAN_LETTER[promotion.group(1)]
        if promotion
        else chess.KING
        if token[0] == "K"
        else SAN_LETTER.get(token[0], chess.PAWN)
    )
    return [(chess.parse_square(SAN_SQUARE.findall(token)[-1]), kind)]


def last_san_arrival(prompt: str, choices: list[str]) -> int | None:
    """SAN (the controls): the piece the last move landing on the asked square names, with
    the colour from the ply's parity; the starting occupant if no move landed there."""
    r = read(prompt)
    if r is None or r.kind != "piece" or r.uci:
        return None
    for ply in range(len(r.moves) - 1, -1, -1):
        for square, kind in san_arrivals(r.moves[ply], r.mover(ply)):
            if square == r.square:
                return index(choices, name(r.mover(ply), kind))
    return starting_piece(prompt, choices)


def starting_piece(prompt: str, choices: list[str]) -> int | None:
    """What stood on the asked square in the start position (nothing moved)."""
    r = read(prompt)
    if r is None or r.kind != "piece":
        return None
    piece = r.start.piece_at(r.square)
    return index(choices, "empty" if piece is None else name(piece.color, piece.piece_type))


def one_square_forward(prompt: str, choices: list[str]) -> int | None:
    """``endsquare``: the piece steps one square towards the opponent (a pawn push)."""
    r = read(prompt)
    if r is None or r.kind != "endsquare":
        return None
    step = 8 if r.mover(len(r.moves)) == chess.WHITE else -8
    target = r.square + step
    return index(choices, chess.square_name(target)) if 0 <= target < 64 else None


def asked_square(prompt: str, choices: list[str]) -> Hashable:
    r = read(prompt)
    return None if r is None else (r.kind, r.square)


def asked_square_and_last_mover(prompt: str, choices: list[str]) -> Hashable:
    """The asked square, and whether the last ply naming it arrived or left, by which side."""
    r = read(prompt)
    if r is None or not r.uci:
        return None
    event = r.last_event
    if event is None:
        return (r.kind, r.square, None)
    return (r.kind, r.square, event.arrived, r.mover(event.ply))


def last_arrival_colour(prompt: str, choices: list[str]) -> Hashable:
    """Whether the last ply naming the asked square arrived or left, and by which side."""
    r = read(prompt)
    if r is None or not r.uci:
        return None
    event = r.last_event
    return (r.kind, None) if event is None else (r.kind, event.arrived, r.mover(event.ply))


def last_arrival_shape(prompt: str, choices: list[str]) -> Hashable:
    """The side and the *shape* of the last move onto the asked square (file and rank
    steps, unsigned): an L is a knight, a long diagonal a bishop or queen. UCI names no
    piece, but every move's geometry still narrows down which piece made it."""
    r = read(prompt)
    if r is None or not r.uci or r.kind != "piece":
        return None
    event = r.last_event
    if event is None or not event.arrived:
        return (r.kind, None if event is None else "left")
    df = abs(chess.square_file(event.target) - chess.square_file(event.source))
    dr = abs(chess.square_rank(event.target) - chess.square_rank(event.source))
    return (r.kind, r.mover(event.ply), min(df, dr), max(df, dr), event.promotion)


RULES: list[Rule | PriorRule] = [
    Rule("piece last moved to the square", last_moved_to),
    Rule("starting piece on the square", starting_piece),
    Rule("piece the last SAN move to the square names", last_san_arrival),
    Rule("one square forward for the side to move", one_square_forward),
    PriorRule("most common answer for the asked square", asked_square),
    PriorRule("most common answer for the last side to arrive or leave", last_arrival_colour),
    PriorRule(
        "most common answer for the asked square and its last arrival",
        asked_square_and_last_mover,
    ),
    PriorRule(
        "most common answer for the shape of the last move onto the square", last_arrival_shape
    ),
]
