"""Plausible chess games from a seeded policy, so positions look like chess, not random walks.

No game database can be downloaded here, so games are played by a one-ply policy: each
legal move gets an integer weight (captures of valuable pieces, promotions, castling,
direct checks and minor-piece development are preferred; undoing one's own last move is
avoided) and one is drawn with :class:`~lm_eval_statetrack.rng.StableRandom`. A game that
ends (checkmate, stalemate, insufficient material, the 75-move rule, fivefold repetition)
before the requested number of plies is discarded and another is drawn. A game is kept as
its UCI move list, the record every task reads back through our parser.
"""

from __future__ import annotations

import hashlib

import chess

from lm_eval_statetrack.rng import StableRandom, seed_from

VALUE = {chess.PAWN: 1, chess.KNIGHT: 3, chess.BISHOP: 3, chess.ROOK: 5, chess.QUEEN: 9}
PROMOTION_BONUS = {chess.QUEEN: 60, chess.KNIGHT: 3, chess.ROOK: 1, chess.BISHOP: 1}
BASE, CAPTURE, CASTLE, CHECK, DEVELOP = 4, 8, 16, 6, 6
MAX_MISSES = 10_000  # draws in a row that end early or repeat an opening: the space is spent
OPENING_PLIES = 4  # demos are games of this many plies; their openings are kept from tests
DEMO_BUCKETS = 16  # one opening in this many (by hash) is reserved for the demos


def _check_squares(board: chess.Board) -> dict[int, int]:
    """Piece type -> squares from which that piece would attack the enemy king directly.

    Attacks are symmetric, so they are the king square's own attacks by that piece type
    (discovered checks are not counted: this is a preference, not a rule).
    """
    king = board.king(not board.turn)
    if king is None:
        return {}
    occ = board.occupied
    diag = chess.BB_DIAG_ATTACKS[king][chess.BB_DIAG_MASKS[king] & occ]
    line = (
        chess.BB_RANK_ATTACKS[king][chess.BB_RANK_MASKS[king] & occ]
        | chess.BB_FILE_ATTACKS[king][chess.BB_FILE_MASKS[king] & occ]
    )
    return {
        chess.PAWN: chess.BB_PAWN_ATTACKS[not board.turn][king],
        chess.KNIGHT: chess.BB_KNIGHT_ATTACKS[king],
        chess.BISHOP: diag,
        chess.ROOK: line,
        chess.QUEEN: diag | line,
        chess.KING: 0,
    }


def move_weights(board: chess.Board, moves: list[chess.Move]) -> list[int]:
    """How much the policy likes each move (integers, so draws are exact)."""
    checks = _check_squares(board)
    enemy = board.occupied_co[not board.turn]
    home_rank = 0 if board.turn == chess.WHITE else 7
    weights = []
    for move in moves:
        piece = board.piece_type_at(move.from_square)
        if piece == chess.KING:
            castles = abs(move.to_square - move.from_square) == 2
            weights.append(BASE + CASTLE if castles else 1)
            continue
        weight = BASE
        target = chess.BB_SQUARES[move.to_square]
        if enemy & target:
            weight += CAPTURE + 2 * VALUE[board.piece_type_at(move.to_square)]
        elif piece == chess.PAWN and board.ep_square == move.to_square:
            weight += CAPTURE + 2 * VALUE[chess.PAWN]
        if move.promotion:
            weight += PROMOTION_BONUS[move.promotion]
        if checks.get(move.promotion or piece, 0) & target:
            weight += CHECK
        if piece in (chess.KNIGHT, chess.BISHOP) and move.from_square >> 3 == home_rank:
            weight += DEVELOP
        weights.append(weight)
    return weights


def choose_move(board: chess.Board, rng: StableRandom) -> chess.Move | None:
    """The policy's move, or None when the side to move has none.

    Legal moves are ordered by (from, to, promotion), so games depend on the rules, not on
    python-chess's generation order. Undoing one's own last move is a last resort (no
    immediate repetition).
    """
    moves = sorted(board.legal_moves, key=_order)
    if not moves:
        return None
    if len(board.move_stack) >= 2:
        last = board.move_stack[-2]
        back = (last.to_square, last.from_square)
        moves = [m for m in moves if (m.from_square, m.to_square) != back] or moves
    weights = move_weights(board, moves)
    x = rng.below(sum(weights))
    for move, weight in zip(moves, weights):
        x -= weight
        if x < 0:
            return move
    raise AssertionError("unreachable: x < sum(weights)")


def _order(move: chess.Move) -> int:
    return (move.from_square * 64 + move.to_square) * 8 + (move.promotion or 0)


def game_over(board: chess.Board) -> bool:
    """Automatic game ends other than 'no legal move' (checked by :func:`choose_move`)."""
    if board.is_insufficient_material() or board.halfmove_clock >= 150:
        return True
    return board.halfmove_clock >= 16 and board.is_fivefold_repetition()


def play(rng: StableRandom, plies: int) -> str | None:
    """A game of exactly ``plies`` plies from the starting position as a UCI move list,
    or None if it ended sooner."""
    board = chess.Board()
    for _ in range(plies):
        move = None if game_over(board) else choose_move(board, rng)
        if move is None:
            return None
        board.push(move)
    return " ".join(move.uci() for move in board.move_stack)


def demo_opening(record: str) -> bool:
    """Whether the record's first ``OPENING_PLIES`` plies are reserved for demos: test
    games never open this way and demo games always do, so no demo shares an opening with
    a test game at any length, without generating the test games to find out."""
    opening = " ".join(record.split()[:OPENING_PLIES])
    return hashlib.sha256(opening.encode()).digest()[0] % DEMO_BUCKETS == 0


def drop_last(record: str) -> str:
    """The record without its last ply: the moves before the position asked about."""
    return record.rsplit(" ", 1)[0]


class GameStream:
    """Game records (UCI move lists) of ``plies`` plies, drawn on demand: ``stream[i]`` is
    the i-th record whose first ``plies - 1`` moves are distinct and whose opening is a
    demo opening exactly when ``split`` is train (the last ply is the move played next).
    The stream depends only on (plies, split), so asking for more records never changes
    the earlier ones."""

    def __init__(self, plies: int, split: str) -> None:
        self.plies = plies
        self._rng = StableRandom(seed_from("chess", "games", plies, split))
        self._demos = split == "train"
        self._seen: set[str] = set()
        self._records: list[str] = []

    def __getitem__(self, i: int) -> str:
        misses = 0
        while len(self._records) <= i:
            record = play(self._rng, self.plies)
            if (
                record is None
                or demo_opening(record) != self._demos
                or drop_last(record) in self._seen
            ):
                misses += 1
                if misses > MAX_MISSES:
                    raise RuntimeError(
                        f"could only draw {len(self._records)} distinct {self.plies}-ply games"
                    )
                continue
            misses = 0
            self._seen.add(drop_last(record))
            self._records.append(record)
        return self._records[i]
