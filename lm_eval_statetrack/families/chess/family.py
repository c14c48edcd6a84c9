"""Chess state tracking in UCI notation, with SAN (which names the piece) as the control.

Example (``piece_uci``, length 4)::

    Chess game from the standard starting position.
    Moves (UCI): g1f3 g8f6 f3e5 b8c6
    Question: Which piece is on e5 now?
    Answer:                    choices: "empty", "white pawn", ...; answer: "white knight"

Tasks (each in ``_uci`` and ``_san``): ``piece`` asks which piece stands on a square;
``endsquare`` is the cloze of Toshniwal et al. (2022), scored by legal-move (LgM, primary)
and exact-move (ExM) accuracy; ``legal`` asks for every legal destination of a piece (BIG-bench
chess_state_tracking, generative); ``s5reduction`` is the S5 word problem played as
chess (:mod:`s5`). Length counts plies (half-moves) for the game tasks and
transpositions (eight plies each) for ``s5reduction``. Games are kept as UCI move lists and
read back through our strict parser (:mod:`notation`), which also writes the SAN
text from the moves it read, so every answer follows from the text the model sees. What is
asked is chosen so that the answer needs the game's history (README_NOTES says how).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import chess

from lm_eval_statetrack.families import papers
from lm_eval_statetrack.families.base import Doc, Family, Variant, distinct
from lm_eval_statetrack.families.chess import s5
from lm_eval_statetrack.families.chess.games import (
    DEMO_BUCKETS,
    OPENING_PLIES,
    GameStream,
    drop_last,
)
from lm_eval_statetrack.families.chess.notation import parse, render
from lm_eval_statetrack.rng import StableRandom, seed_from

LENGTHS = (4, 8, 16, 32, 64, 128)
DEMO_LENGTH = OPENING_PLIES  # train split (few-shot demos): games of 4 plies, reserved openings
MIN_MOVES = 2  # `piece` asks about a piece that has moved at least this often
# `endsquare` asks about knights, bishops and rooks: no square is a knight's move and a
# bishop's or a rook's move away at once, so no fixed guess is legal for two of them
ENDSQUARE_TYPES = (chess.KNIGHT, chess.BISHOP, chess.ROOK)
ENDSQUARE_NAMES = tuple(map(chess.piece_name, ENDSQUARE_TYPES))
BALANCE_SLACK = 1  # how far an answer (`piece`: of the median; `endsquare`: of the rarest) may lead
RARE_CLASS = 20  # `piece`: an answer on offer in under 1 position in 20 is left out of it
DESTINATIONS = range(5, 9)  # `endsquare` asks about a piece with 5-8 legal destinations
MAX_GEN_TOKS = 96  # > the longest legal-destination list in bytes (27 squares * 3)
NOTATION_LABEL = {"uci": "UCI", "san": "SAN"}
STANDARD_START = "Chess game from the standard starting position."
COLOR_NAME = {chess.WHITE: "white", chess.BLACK: "black"}
PIECE_CHOICES = ["empty"] + [
    f"{COLOR_NAME[color]} {chess.piece_name(piece_type)}"
    for color in (chess.WHITE, chess.BLACK)
    for piece_type in chess.PIECE_TYPES
]
S5_CHOICES = ["white rook", "white queen"]
S5_TEST_STARTS = (1, 2, 3, 4)  # the rook starts on b1-e1 in test games ...
S5_DEMO_START = 0  # ... and on a1 in the demos, so no demo opens like a test game
S5_MAX_DRAWS = 100_000  # words drawn for one (start, square, answer) before giving up


def piece_name(piece: chess.Piece | None) -> str:
    return (
        "empty"
        if piece is None
        else f"{COLOR_NAME[piece.color]} {chess.piece_name(piece.piece_type)}"
    )


# The one wording of each question, for the docs and the README's examples alike.
QUESTIONS = {
    "piece": "Which piece is on {square} now?",
    "endsquare": "The next move is made by the piece on {square}. On which square does it land?",
    "legal": "Which squares can the piece on {square} legally move to? "
    "List them in alphabetical order.",
}


def question(kind: str, square: str) -> str:
    """Task ``kind``'s question about ``square`` (a name such as ``"e5"``)."""
    return QUESTIONS[kind].format(square=square)


def prompt(start: str, notation: str, movetext: str, asked: str) -> str:
    return f"{start}\nMoves ({NOTATION_LABEL[notation]}): {movetext}\nQuestion: {asked}\nAnswer:"


# --- games: the same positions and questions in both notations ------------------------


@cache
def stream(plies: int, split: str) -> GameStream:
    """Records of ``plies`` + 1 plies, of which prompts show the first ``plies``; train
    (demo) games open with a reserved opening that no test game uses."""
    return GameStream(plies + 1, split)


def moves_made(board: chess.Board) -> dict[int, tuple[int, bool]]:
    """Occupied square -> how many moves its piece has made in the game behind ``board``,
    and whether its last one was castling (castling moves the rook too; a promoted pawn
    keeps its count)."""
    replay = chess.Board()
    ids = {square: square for square in replay.piece_map()}
    count, castled = dict.fromkeys(ids, 0), dict.fromkeys(ids, False)
    for move in board.move_stack:
        hops = [(move.from_square, move.to_square)]
        castling = replay.is_castling(move)
        if castling:
            kingside = move.to_square > move.from_square
            rook = move.to_square + 1 if kingside else move.to_square - 2
            hops.append((rook, move.to_square - 1 if kingside else move.to_square + 1))
        elif replay.is_en_passant(move):
            ids.pop(move.to_square + (-8 if replay.turn == chess.WHITE else 8))
        for source, target in hops:
            ids[target] = ids.pop(source)
            count[ids[target]] += 1
            castled[ids[target]] = castling
        replay.push(move)
    return {square: (count[piece], castled[piece]) for square, piece in ids.items()}


@dataclass
class Asked:
    """What one task has asked so far: the tallies that keep its answers balanced."""

    answers: Counter = field(default_factory=Counter)  # answer (or piece type) -> docs
    at: Counter = field(default_factory=Counter)  # (answer, asked square) -> docs
    squares: Counter = field(default_factory=Counter)  # asked square -> docs
    targets: Counter = field(default_factory=Counter)  # (from, to) of `endsquare` -> docs
    offered: Counter = field(default_factory=Counter)  # answer -> positions offering it
    scanned: int = 0  # positions that offered any answer


def piece_square(board: chess.Board, rng: StableRandom, asked: Asked) -> int | None:
    """The asked square: a piece that has moved at least ``MIN_MOVES`` times (or a rook
    moved by castling, which UCI never names), so the last move to the square does not
    tell where the piece came from. An answer is asked again on a square only behind
    another answer of its colour there (where the position allows), and never more than
    ``BALANCE_SLACK`` ahead of the median answer (answers offered in under one position in
    ``RARE_CLASS`` do not count), so neither the asked square nor a class prior predicts
    the answer. None when the position offers nothing that fits."""
    candidates = [
        (piece_name(board.piece_at(square)), square)
        for square, (moves, castled) in moves_made(board).items()
        if moves >= MIN_MOVES or (castled and board.piece_type_at(square) == chess.ROOK)
    ]
    if not candidates:
        return None
    asked.scanned += 1
    asked.offered.update({name for name, _ in candidates})
    at, tally = asked.at, asked.answers

    def lead(name: str, square: int) -> int:
        """How far this answer is behind the most common answer of its colour at the square
        (the last ply to arrive there tells the colour)."""
        colour = name.split()[0]
        return at[name, square] - max(at[n, square] for n in PIECE_CHOICES if colour in n)

    fresh = [(n, sq) for n, sq in candidates if lead(n, sq) < 0 or not at[n, sq]] or candidates
    common = sorted(tally[n] for n, k in asked.offered.items() if k * RARE_CLASS >= asked.scanned)
    median = common[len(common) // 2] if common else 0
    pool = [(n, sq) for n, sq in fresh if tally[n] <= median + BALANCE_SLACK]
    if not pool:
        return None
    best = min((lead(n, sq), tally[n]) for n, sq in pool)
    name, square = rng.choice(sorted(c for c in pool if (lead(*c), tally[c[0]]) == best))
    tally[name] += 1
    at[name, square] += 1
    return square


def destinations(board: chess.Board, square: int) -> list[str]:
    """Sorted names of the squares the piece on ``square`` can legally move to."""
    return sorted(
        {chess.square_name(m.to_square) for m in board.legal_moves if m.from_square == square}
    )


def endsquare_move(board: chess.Board, rng: StableRandom, asked: Asked) -> chess.Move | None:
    """The next move: one of the 5-8 (``DESTINATIONS``) legal destinations of a
    knight, bishop or rook of the side to move (one that has moved twice, else once, where
    there is one): of a piece type asked least so far (within ``BALANCE_SLACK``), on a
    starting square where that type is asked least, and to the ending square asked least
    from there, so the starting square does not predict the answer. None when no such piece
    fits."""
    legal: dict[int, set[int]] = {}
    for move in board.legal_moves:
        legal.setdefault(move.from_square, set()).add(move.to_square)
    moved = {square: moves for square, (moves, _) in moves_made(board).items()}
    fits = [
        sq
        for sq, targets in legal.items()
        if board.piece_type_at(sq) in ENDSQUARE_TYPES and len(targets) in DESTINATIONS
    ]
    fits = [sq for sq in fits if moved[sq] >= MIN_MOVES] or [sq for sq in fits if moved[sq]] or fits
    if not fits:
        return None
    kind = {sq: chess.piece_name(board.piece_type_at(sq)) for sq in fits}
    tally = asked.answers
    fewest = min(tally[kind[sq]] for sq in fits)

    def cost(sq: int) -> tuple[int, int]:
        """How far this type is ahead of the most common type asked on the square, then
        how often the square was asked."""
        top = max(asked.at[name, sq] for name in ENDSQUARE_NAMES)
        return asked.at[kind[sq], sq] - top, asked.squares[sq]

    pool = [sq for sq in fits if tally[kind[sq]] <= fewest + BALANCE_SLACK]
    best = min(map(cost, pool))
    square = rng.choice(sorted(sq for sq in pool if cost(sq) == best))
    tally[kind[square]] += 1
    asked.at[kind[square], square] += 1
    asked.squares[square] += 1
    rarest = min(asked.targets[square, to] for to in legal[square])
    target = rng.choice(sorted(t for t in legal[square] if asked.targets[square, t] == rarest))
    asked.targets[square, target] += 1
    return chess.Move(square, target)


def square_trace(board: chess.Board, square: int) -> list[str]:
    """What stood on ``square`` after each ply of the game that led to ``board``."""
    replay, trace = chess.Board(), []
    for move in board.move_stack:
        replay.push(move)
        trace.append(piece_name(replay.piece_at(square)))
    return trace


def ask(kind: str, board: chess.Board, rng: StableRandom, asked: Asked) -> dict | None:
    """The question of task ``kind`` about ``board``, with its choices and answer; None when
    the position has nothing that ``kind`` asks about."""
    if kind == "piece":
        square = piece_square(board, rng, asked)
        if square is None:
            return None
        answer = PIECE_CHOICES.index(piece_name(board.piece_at(square)))
        fields = {"choices": PIECE_CHOICES, "answer": answer}
    elif kind == "endsquare":
        move = endsquare_move(board, rng, asked)
        if move is None:
            return None
        square = move.from_square
        fields = {
            "choices": list(chess.SQUARE_NAMES),
            "answer": move.to_square,
            "targets": destinations(board, square),
            "next_move": move.uci(),
        }
    else:  # legal
        square = rng.choice(sorted({m.from_square for m in board.legal_moves}))
        targets = destinations(board, square)
        fields = {"choices": [" ".join(targets)], "answer": 0, "targets": targets}
    return {
        "question": question(kind, chess.square_name(square)),
        "square": chess.square_name(square),
        "trace": square_trace(board, square),
        **fields,
    }


MAX_GAMES_PER_DOC = 100


@cache
def questions(kind: str, plies: int, split: str) -> tuple[tuple[str, dict], ...]:
    """(game record, question) for the first games of the stream that have something to
    ask, as many as the split holds."""
    rng = StableRandom(seed_from("chess", kind, plies, split))
    n = FAMILY.test_docs if split == "test" else FAMILY.train_docs
    games, asked, out = stream(plies, split), Asked(), []
    i = 0
    while len(out) < n:
        if i > MAX_GAMES_PER_DOC * n:
            raise RuntimeError(f"{kind}: only {len(out)} of {n} questions in {i} games")
        record = games[i]
        board = parse(drop_last(record), "uci")
        q = ask(kind, board, rng, asked)
        if q is not None:
            out.append((record, q))
        i += 1
    return tuple(out)


def game_docs(kind: str, notation: str, plies: int, split: str) -> list[Doc]:
    docs = []
    for record, q in questions(kind, plies, split):
        movetext = drop_last(record)
        if notation == "san":
            movetext = render(chess.Board(), parse(movetext, "uci").move_stack, "san")
        doc = {k: v for k, v in q.items() if k != "question"}
        doc.update(
            prompt=prompt(STANDARD_START, notation, movetext, q["question"]),
            notation=notation,
        )
        docs.append(doc)
    return docs


# --- the S5 reduction ----------------------------------------------------------------


def s5_keys(length: int, split: str, n: int) -> list[tuple]:
    """Distinct (rook's start, word of transpositions, asked square). The asked square and
    whether the rook ends there are drawn first (uniform, and a fair coin), then words until
    one fits, so neither the asked square nor the start predicts the answer at any length."""
    rng = StableRandom(seed_from("chess", "s5reduction", length, split))

    def draw() -> tuple:
        start = rng.choice(S5_TEST_STARTS) if split == "test" else S5_DEMO_START
        square, rook_there = rng.below(len(s5.ROW)), rng.below(2) == 0
        for _ in range(S5_MAX_DRAWS):
            word = tuple(rng.below(s5.GENERATORS) for _ in range(length))
            if (s5.final_square(start, word) == square) == rook_there:
                return start, word, square
        raise RuntimeError(f"no word of {length} transpositions fits; raise S5_MAX_DRAWS")

    return distinct(draw, n)


def s5_docs(notation: str, length: int, split: str, n: int) -> list[Doc]:
    docs = []
    for start, word, square in s5_keys(length, split, n):
        movetext, trace = s5.render(word, notation, start)
        name = s5.ROW[square]
        fen = f"Chess game from the position {s5.start_fen(start)} (FEN)."
        docs.append(
            {
                "prompt": prompt(fen, notation, movetext, question("piece", name)),
                "choices": S5_CHOICES,
                "answer": 0 if trace[-1] == square else 1,
                "notation": notation,
                "square": name,
                "trace": [s5.ROW[r] for r in trace],
            }
        )
    return docs


def generate(variant: str, length: int, split: str, n: int) -> list[Doc]:
    kind, notation = variant.rsplit("_", 1)
    if kind == "s5reduction":
        return s5_docs(notation, length, split, n)
    return game_docs(kind, notation, length, split)[:n]


# --- the family spec ---------------------------------------------------------------------

SOURCES = (
    "Merrill, Petty & Sabharwal, The Illusion of State in State-Space Models (ICML 2024); "
    "Toshniwal, Wiseman, Livescu & Gimpel, Chess as a Testbed for Language Model State "
    "Tracking (AAAI 2022); BIG-bench chess_state_tracking (Srivastava et al., 2022)"
)
NOTATION_TEXT = {
    "uci": "UCI (source and target squares)",
    "san": "SAN (names the piece; control)",
}
COMPLEXITY = {"uci": "NC1-complete", "san": "open (SAN)"}


def metric(name: str) -> dict:
    return {"metric": name, "aggregation": "mean", "higher_is_better": True}


ENDSQUARE_YAML = {
    "metric_list": [metric("lgm"), metric("exm")],
    "process_results": "!function utils.endsquare_results",
}
LEGAL_YAML = {
    "output_type": "generate_until",
    "generation_kwargs": {"until": ["\n"], "max_gen_toks": MAX_GEN_TOKS, "do_sample": False},
    "metric_list": [metric("set_match")],
    "process_results": "!function utils.legal_results",
}


def _variants() -> list[Variant]:
    out = []
    for notation in ("uci", "san"):
        text = NOTATION_TEXT[notation]
        out += [
            Variant(
                name=f"piece_{notation}",
                description=f"{text}: which piece (or empty) is on a square after L plies",
                complexity=COMPLEXITY[notation],
                chance=1 / len(PIECE_CHOICES),
                lengths=LENGTHS,
                # NC1-complete in the worst case, yet the shape of the last move onto the
                # square (an L is a knight) gives most answers away: not a hard variant
                hard=False,
            ),
            Variant(
                name=f"endsquare_{notation}",
                description=f"{text}: ending square of the next move of a piece with "
                f"{DESTINATIONS[0]}-{DESTINATIONS[-1]} legal moves (LgM, then ExM; chance is "
                "LgM's at most)",
                complexity=COMPLEXITY[notation],
                chance=DESTINATIONS[-1] / 64,
                lengths=LENGTHS,
                hard=notation == "uci",
                metrics=("lgm", "exm"),
                extra_yaml=ENDSQUARE_YAML,
            ),
            Variant(
                name=f"legal_{notation}",
                description=f"{text}: every legal destination of a piece, generated "
                "(exact set match)",
                complexity=COMPLEXITY[notation],
                chance=0.0,
                lengths=LENGTHS,
                hard=notation == "uci",
                metrics=("set_match",),
                extra_yaml=LEGAL_YAML,
            ),
            Variant(
                name=f"s5reduction_{notation}",
                description=f"{text}: a rook and four queens permuted by L transpositions "
                "(8 plies each); which of them is on a square",
                complexity="NC1-complete" if notation == "uci" else "TC0",
                chance=1 / len(S5_CHOICES),
                lengths=LENGTHS,
                hard=notation == "uci",
            ),
        ]
    order = ("piece", "endsquare", "legal", "s5reduction")  # UCI and SAN side by side
    return sorted(out, key=lambda v: order.index(v.name.rsplit("_", 1)[0]))


# Mean size of a zero-shot test prompt at L = 4..128, then of one few-shot demo (prompt,
# answer and the blank line after it), in characters and in SmolLM2-135M tokens.
# tests/test_chess.py recomputes the characters; the tokens were measured 2026-11-30.
PROMPT_CHARS = {
    "piece_uci": (124, 144, 184, 264, 424, 745, 138),
    "piece_san": (124, 144, 188, 285, 485, 882, 139),
    "endsquare_uci": (170, 190, 230, 310, 470, 791, 175),
    "endsquare_san": (170, 190, 234, 331, 531, 927, 175),
    "legal_uci": (182, 202, 242, 322, 482, 803, 190),
    "legal_san": (182, 202, 246, 343, 543, 940, 189),
    "s5reduction_uci": (287, 447, 767, 1407, 2687, 5247, 301),
    "s5reduction_san": (322, 526, 935, 1779, 3538, 7061, 334),
}
PROMPT_TOKENS = {
    "piece_uci": (46, 62, 94, 158, 286, 543, 49),
    "piece_san": (46, 61, 94, 170, 324, 634, 49),
    "endsquare_uci": (57, 73, 105, 169, 297, 554, 60),
    "endsquare_san": (56, 72, 105, 181, 335, 643, 60),
    "legal_uci": (56, 72, 104, 168, 296, 553, 61),
    "legal_san": (55, 71, 104, 180, 334, 644, 60),
    "s5reduction_uci": (189, 317, 573, 1085, 2109, 4157, 193),
    "s5reduction_san": (204, 358, 663, 1302, 2653, 5354, 209),
}


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines) + "\n"


def _sizes_table() -> str:
    rows = [
        [f"`{name}`", *(f"{c} / {t}" for c, t in zip(chars, PROMPT_TOKENS[name]))]
        for name, chars in PROMPT_CHARS.items()
    ]
    return _table(["variant", *(f"L={n}" for n in LENGTHS), "one demo"], rows)


def _scoring_table() -> str:
    rows = [
        [
            "`piece`",
            "`acc` over 13 choices (`empty` + 12 pieces)",
            "1/13 = 7.7 %; the 12 pieces are gold about equally often",
        ],
        [
            "`endsquare`",
            "`lgm` (primary: the most likely of the 64 squares is a legal ending square of "
            "the piece) and `exm` (it is the square the next move went to)",
            f"LgM at most {DESTINATIONS[-1]}/64 = {100 * DESTINATIONS[-1] / 64:.1f} % "
            f"(the stated chance); ExM 1/64 = 1.6 % (a perfect state tracker: LgM 1, ExM "
            f"1/{DESTINATIONS[-1]} to 1/{DESTINATIONS[0]})",
        ],
        [
            "`legal`",
            "`set_match`: the squares named in the generation (until a newline, at most "
            f"{MAX_GEN_TOKS} tokens) are exactly the legal destinations",
            "about 0",
        ],
        [
            "`s5reduction`",
            "`acc`: `white rook` or `white queen`",
            "1/2 (whether the rook ends on the asked square is a fair coin)",
        ],
    ]
    return _table(["task", "metric", "chance"], rows)


# The Ruy Lopez: the bishop has moved twice (f1b5a4), Black's knight once; White to move.
EXAMPLE_GAME = "e2e4 e7e5 g1f3 b8c6 f1b5 a7a6 b5a4 g8f6"


def _examples() -> str:
    """Prompts of every task for one short game, rendered by the code that renders the docs."""
    board = parse(EXAMPLE_GAME, "uci")
    text = {n: render(chess.Board(), board.move_stack, n) for n in NOTATION_LABEL}
    mover = next(
        sq
        for sq in sorted(board.piece_map())
        if board.color_at(sq) == board.turn
        and board.piece_type_at(sq) in ENDSQUARE_TYPES
        and len(destinations(board, sq)) in DESTINATIONS
    )
    asks = [
        ("piece", chess.A4, piece_name(board.piece_at(chess.A4))),
        ("endsquare", mover, destinations(board, mover)[0]),
        ("legal", chess.F3, " ".join(destinations(board, chess.F3))),
    ]
    blocks = []
    for kind, square, answer in asks:
        note = ""
        if kind == "endsquare":
            others = ", ".join(destinations(board, square)[1:])
            note = f" (LgM also credits {others}; ExM only the square the next move went to)"
        for notation in NOTATION_LABEL:
            asked = question(kind, chess.square_name(square))
            body = prompt(STANDARD_START, notation, text[notation], asked)
            blocks.append(f"`{kind}_{notation}`{note}:\n\n```text\n{body} {answer}\n```\n")
    rook = S5_TEST_STARTS[0]
    start = f"Chess game from the position {s5.start_fen(rook)} (FEN)."
    for notation in NOTATION_LABEL:
        movetext, trace = s5.render((0, 1), notation, rook)
        body = prompt(start, notation, movetext, question("piece", "c1"))
        answer = S5_CHOICES[0 if s5.ROW[trace[-1]] == "c1" else 1]
        label = f"`s5reduction_{notation}` (rook on b1, t_0 then t_1)"
        blocks.append(f"{label}:\n\n```text\n{body} {answer}\n```\n")
    return "\n".join(blocks)


README_NOTES = f"""
## Notation, lengths, scoring

Length `L` counts plies (half-moves) for `piece`, `endsquare` and `legal`, and
transpositions (eight plies each) for `s5reduction`. Each task is given in UCI, which
names only squares (`e2e4`, castling `e1g1`, promotion `e7e8q`), and in SAN, which names
the piece (`1. e4`, `O-O`, `e8=Q+`); the two variants of a task ask the same questions
about the same games, so they differ in notation only. The few-shot demos (default 3) come
from the `train` split: games of {DEMO_LENGTH} plies with a reserved opening (one in
{DEMO_BUCKETS} by a SHA-256 of the moves; test games never open that way), so no demo is a
test game's first {DEMO_LENGTH} plies at any length, and for `s5reduction` {DEMO_LENGTH}
transpositions with the rook starting on a1, where no test game starts it.

{_scoring_table()}
What each task asks is chosen so that the answer needs the game's history, not its last
move:

- `piece` asks about a piece that has moved at least {MIN_MOVES} times (or a rook moved by
  castling, which the UCI text never names), so the last move to the square does not say
  where the piece started. No answer runs more than {BALANCE_SLACK} ahead of the median
  one, as far as the games offer it (a king that has moved twice is rare before ply 32),
  and an answer is asked again on a square only behind another answer of its colour
  there, so the asked square does not predict it. `empty` is never the answer: the last
  ply naming an emptied square always says so.
- `endsquare` asks about a knight, bishop or rook of the side to move (one that has moved
  twice where there is one) with {DESTINATIONS[0]} to {DESTINATIONS[-1]} legal
  destinations; the next move goes to one of them, drawn to balance the answers for each
  starting square. The three piece types share no move shape, so no fixed guess is legal
  for two of them. The primary metric is LgM, which a perfect state tracker scores 1 on;
  ExM (the next move itself, which the prompt does not determine) is reported next to it.
  LgM credits any legal square, so a guess that suits one type (one square forward suits
  a rook) still beats a uniform guess.
- `s5reduction` starts the rook on b1-e1 (the FEN says where), draws the asked square
  uniformly and whether the rook ends there by a fair coin, then draws words until one
  fits, so neither the start nor the asked square predicts the answer at any length.
- `legal` asks about a random piece of the side to move that has a legal move; castling
  counts as the king's move (`g1`).

`lm_eval_statetrack/baselines/chess.py` holds the shallow rules these choices are checked
against (the last ply naming the asked square, the starting position, one square forward,
and answer priors keyed on the asked square); on the SAN controls, the piece that the last
move landing on the square names solves `piece` and `s5reduction` outright, as designed.
The prior keyed on the *shape* of the last move onto the square (an L-shaped move is a
knight's, a long diagonal a bishop's or queen's) scores far above chance on `piece_uci`
at every length (table below): UCI hides the piece's name, not every trace of its type,
and no choice of asked squares removes that. So `piece_uci` is not counted as a hard
variant (it is NC1-complete only in the worst case); `endsquare_uci`, `legal_uci` and
`s5reduction_uci` are.

## Examples

{_examples()}
## Data

No game database can be downloaded, so games are played by a seeded one-ply policy with
python-chess (`families/chess/games.py`): captures (of valuable pieces first), promotions,
castling, direct checks and minor-piece development are preferred, a piece does not go
straight back, and a game that ends (mate, stalemate, insufficient material, 75-move
rule, fivefold repetition) before `L + 1` plies is replaced. Castling, en passant and
(under-)promotion all occur; `tests/test_chess.py` counts them and replays every prompt
on a fresh board from its text alone. `s5reduction` plays the construction behind the
paper's hardness proof (a rook and queens permuted by moves that realise transpositions
through a spare square) as legal chess, in our own layout (`s5.py`): a rook and four
queens on a1-e1, each transposition of two neighbours played as four rook-style moves
through the spare squares on rank 2 while Black's knight shuttles g8-h6. Automatic draws
(fivefold repetition, the 75-move rule) are ignored there: they end a game without making
any move illegal, and no construction for unboundedly long words can avoid them.

## Prompt sizes

Mean characters / SmolLM2-135M tokens (tokenizer of SmolLM2-135M-Instruct, counted
2026-11-30) of a zero-shot prompt; the last column is one few-shot demo. UCI spends four
tokens per ply in this tokenizer (digits are split).

{_sizes_table()}"""


FAMILY = Family(
    name="chess",
    version=2,
    rendering="nl",
    description="Chess state tracking: UCI move lists (NC1-complete to track) against SAN, "
    "which names the moving piece.",
    source=SOURCES,
    papers=(papers.TOSHNIWAL_2022, papers.BIG_BENCH_2023, papers.MERRILL_2024),
    variants={v.name: v for v in _variants()},
    generate=generate,
    demo_length=DEMO_LENGTH,
    num_fewshot=3,
    readme_notes=README_NOTES,
    changelog=(
        "2026-11-30 (version 2): questions need the game's history: `piece` asks about "
        "pieces that moved twice or more with balanced answers; `endsquare` asks about a "
        f"knight, bishop or rook with {DESTINATIONS[0]}-{DESTINATIONS[-1]} legal moves and "
        "scores LgM first "
        "(ExM second); `s5reduction` is balanced at every length (the rook starts on b1-e1); "
        "demos share no opening with any test game.",
    ),
    utils_imports={
        "endsquare_results": "lm_eval_statetrack.families.chess.scoring",
        "legal_results": "lm_eval_statetrack.families.chess.scoring",
    },
)
