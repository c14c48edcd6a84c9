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

from functools import cache

import chess

from lm_eval_statetrack.rng import StableRandom, seed_from

VALUE = {chess.PAWN: 1, chess.KNIGHT: 3, chess.BISHOP: 3, chess.ROOK: 5, chess.QUEEN: 9}
PROMOTION_BONUS = {chess.QUEEN: 60, chess.KNIGHT: 3, chess.ROOK: 1, chess.BISHOP: 1}
BASE, CAPTURE, CASTLE, CHECK, DEVELOP = 4, 8, 16, 6, 6


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


def _draw(rng: StableRandom, weights: list[int]) -> int:
    x = rng.below(sum(weights))
    for i, weight in enumerate(weights):
        x -= weight
        if x < 0:
            return i
    raise AssertionError("unreachable: x < sum(weights)")


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


def drop_last(record: str) -> str:
    """The record without its last ply: the moves before the position asked about."""
    return record.rsplit(" ", 1)[0]


@cache
def games(plies: int, n: int, split: str, exclude: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """``n`` game records (UCI move lists) of ``plies`` plies whose first ``plies - 1`` moves
    are distinct and not in ``exclude``; the last ply is the move played next."""
    rng = StableRandom(seed_from("chess", "games", plies, split))
    seen = set(exclude)
    out: list[str] = []
    for _ in range(20 * n):
        record = play(rng, plies)
        if record is None or drop_last(record) in seen:
            continue
        seen.add(drop_last(record))
        out.append(record)
        if len(out) == n:
            return tuple(out)
    raise RuntimeError(f"could only draw {len(out)} of {n} distinct {plies}-ply games")
