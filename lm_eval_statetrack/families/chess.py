"""Chess state tracking in UCI notation, with SAN (which names the piece) as the control.

Example (``piece_uci``, length 4)::

    Chess game from the standard starting position.
    Moves (UCI): e2e4 e7e5 g1f3 b8c6
    Question: Which piece is on f3 now?
    Answer:                    choices: "empty", "white pawn", ...; answer: "white knight"

Tasks (each in ``_uci`` and ``_san``): ``piece`` asks which piece stands on a square;
``endsquare`` is the cloze of Toshniwal et al. (2022), scored by exact-move (ExM) and
legal-move (LgM) accuracy; ``legal`` asks for every legal destination of a piece (BIG-bench
chess_state_tracking, generative); ``s5reduction`` is the S5 word problem played as
chess (:mod:`chess_s5`). Length counts plies (half-moves) for the game tasks and
transpositions (eight plies each) for ``s5reduction``. Games are kept as UCI move lists and
read back through our strict parser (:mod:`chess_notation`), which also writes the SAN
text from the moves it read, so every answer follows from the text the model sees.
"""

from __future__ import annotations

from functools import cache

import chess

from lm_eval_statetrack.families import chess_s5
from lm_eval_statetrack.families.base import Doc, Family, Variant, distinct_words
from lm_eval_statetrack.families.chess_games import drop_last, games
from lm_eval_statetrack.families.chess_notation import parse, render
from lm_eval_statetrack.rng import StableRandom, seed_from

LENGTHS = (4, 8, 16, 32, 64, 128)
DEMO_LENGTH = LENGTHS[0]  # train split (few-shot demos): games of 4 plies, never a test game
S5_DEMO_LENGTH = 3  # s5reduction demos: 3 transpositions, a length no test task has
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
STARTING_PIECES = chess.Board().piece_map()


def piece_name(piece: chess.Piece | None) -> str:
    return (
        "empty"
        if piece is None
        else f"{COLOR_NAME[piece.color]} {chess.piece_name(piece.piece_type)}"
    )


def prompt(start: str, notation: str, movetext: str, question: str) -> str:
    return f"{start}\nMoves ({NOTATION_LABEL[notation]}): {movetext}\nQuestion: {question}\nAnswer:"


# --- games: the same positions and questions in both notations ------------------------


def n_test_docs() -> int:
    return FAMILY.test_docs


@cache
def game_pool(plies: int, split: str) -> tuple[str, ...]:
    """UCI records of ``plies`` + 1 plies (the last is the move played next); a train
    game never starts like a test game."""
    if split == "test":
        return games(plies + 1, n_test_docs(), "test")
    test_prefixes = frozenset(drop_last(record) for record in game_pool(plies, "test"))
    return games(plies + 1, FAMILY.train_docs, "train", test_prefixes)


@cache
def positions(plies: int, split: str) -> tuple[tuple[chess.Board, chess.Move], ...]:
    """Each record read back by the strict parser: the position after ``plies`` plies
    (its moves in ``move_stack``) and the move played next."""
    out = []
    for record in game_pool(plies, split):
        board = parse(record, "uci")
        following = board.pop()
        out.append((board, following))
    return tuple(out)


@cache
def movetexts(plies: int, split: str, notation: str) -> tuple[str, ...]:
    if notation == "uci":
        return tuple(drop_last(record) for record in game_pool(plies, split))
    return tuple(
        render(chess.Board(), board.move_stack, "san") for board, _ in positions(plies, split)
    )


def piece_square(board: chess.Board, rng: StableRandom) -> int:
    """The asked square. Five times in eight a piece that is not where the game started
    it, twice an emptied square, once any piece (which may still stand on its home
    square); so the answer is rarely the starting-position piece, and 'empty' is right
    about a quarter of the time."""
    changed = [sq for sq in chess.SQUARES if board.piece_at(sq) != STARTING_PIECES.get(sq)]
    occupied = [sq for sq in chess.SQUARES if board.piece_at(sq) is not None]
    moved = [sq for sq in changed if board.piece_at(sq) is not None] or occupied
    emptied = [sq for sq in changed if board.piece_at(sq) is None]
    draw = rng.below(8)
    if draw == 0:
        return rng.choice(occupied)
    if draw <= 2 and emptied:
        return rng.choice(emptied)
    return rng.choice(moved)


def destinations(board: chess.Board, square: int) -> list[str]:
    """Sorted names of the squares the piece on ``square`` can legally move to."""
    return sorted(
        {chess.square_name(m.to_square) for m in board.legal_moves if m.from_square == square}
    )


def square_trace(board: chess.Board, square: int) -> list[str]:
    """What stood on ``square`` after each ply of the game that led to ``board``."""
    replay, trace = chess.Board(), []
    for move in board.move_stack:
        replay.push(move)
        trace.append(piece_name(replay.piece_at(square)))
    return trace


def ask(kind: str, board: chess.Board, following: chess.Move, rng: StableRandom) -> dict:
    """The question of task ``kind`` about ``board``, with its choices and answer."""
    if kind == "piece":
        square = piece_square(board, rng)
        answer = PIECE_CHOICES.index(piece_name(board.piece_at(square)))
        fields = {"choices": PIECE_CHOICES, "answer": answer}
        question = f"Which piece is on {chess.square_name(square)} now?"
    elif kind == "endsquare":
        square = following.from_square
        fields = {
            "choices": list(chess.SQUARE_NAMES),
            "answer": following.to_square,
            "targets": destinations(board, square),
            "next_move": following.uci(),
        }
        question = (
            f"The next move is made by the piece on {chess.square_name(square)}. "
            "On which square does it land?"
        )
    else:  # legal
        square = rng.choice(sorted({m.from_square for m in board.legal_moves}))
        targets = destinations(board, square)
        fields = {"choices": [" ".join(targets)], "answer": 0, "targets": targets}
        question = (
            f"Which squares can the piece on {chess.square_name(square)} legally move to? "
            "List them in alphabetical order."
        )
    return {
        "question": question,
        "square": chess.square_name(square),
        "trace": square_trace(board, square),
        **fields,
    }


@cache
def questions(kind: str, plies: int, split: str) -> tuple[dict, ...]:
    rng = StableRandom(seed_from("chess", kind, plies, split))
    return tuple(ask(kind, board, following, rng) for board, following in positions(plies, split))


def game_docs(kind: str, notation: str, plies: int, split: str) -> list[Doc]:
    docs = []
    for movetext, q in zip(movetexts(plies, split, notation), questions(kind, plies, split)):
        doc = {k: v for k, v in q.items() if k != "question"}
        doc.update(
            prompt=prompt(STANDARD_START, notation, movetext, q["question"]),
            length=plies,
            notation=notation,
        )
        docs.append(doc)
    return docs


# --- the S5 reduction ----------------------------------------------------------------


def s5_keys(length: int, split: str, n: int) -> list[tuple]:
    """Distinct (word of transpositions, asked square); the rook's square half the time."""
    rng = StableRandom(seed_from("chess", "s5reduction", length, split))

    def draw() -> tuple:
        word = tuple(rng.below(chess_s5.GENERATORS) for _ in range(length))
        rook = 0
        for i in word:
            rook = chess_s5.apply(rook, i)
        queens = [q for q in range(len(chess_s5.ROW)) if q != rook]
        return word, rook if rng.below(2) == 0 else rng.choice(queens)

    return distinct_words(draw, n)


def s5_docs(notation: str, length: int, split: str, n: int) -> list[Doc]:
    start = f"Chess game from the position {chess_s5.START_FEN} (FEN)."
    docs = []
    for word, square in s5_keys(length, split, n):
        movetext, trace = chess_s5.render(word, notation)
        name = chess_s5.ROW[square]
        docs.append(
            {
                "prompt": prompt(start, notation, movetext, f"Which piece is on {name} now?"),
                "choices": S5_CHOICES,
                "answer": 0 if trace[-1] == square else 1,
                "length": length,
                "notation": notation,
                "square": name,
                "trace": [chess_s5.ROW[r] for r in trace],
            }
        )
    return docs


def generate(variant: str, length: int, split: str, n: int) -> list[Doc]:
    """Test docs at ``length``; train docs (few-shot demos) are short whatever ``length``."""
    kind, notation = variant.rsplit("_", 1)
    if kind == "s5reduction":
        docs = s5_docs(notation, length if split == "test" else S5_DEMO_LENGTH, split, n)
    else:
        docs = game_docs(kind, notation, length if split == "test" else DEMO_LENGTH, split)[:n]
    chance = FAMILY.variants[variant].chance
    return [{**doc, "variant": variant, "chance": chance} for doc in docs]


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
    "metric_list": [metric("exm"), metric("lgm")],
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
                hard=notation == "uci",
            ),
            Variant(
                name=f"endsquare_{notation}",
                description=f"{text}: ending square of the next move given its starting "
                "square (ExM, LgM; chance is ExM's)",
                complexity=COMPLEXITY[notation],
                chance=1 / 64,
                lengths=LENGTHS,
                hard=notation == "uci",
                metrics=("exm", "lgm"),
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
# tests/test_chess.py recomputes the characters; the tokens were measured 2026-11-26.
PROMPT_CHARS = {
    "piece_uci": (124, 144, 184, 264, 424, 745, 136),
    "piece_san": (124, 144, 188, 285, 485, 882, 136),
    "endsquare_uci": (170, 190, 230, 310, 470, 791, 175),
    "endsquare_san": (170, 190, 234, 331, 531, 928, 175),
    "legal_uci": (182, 202, 242, 322, 482, 803, 190),
    "legal_san": (182, 202, 246, 343, 543, 940, 190),
    "s5reduction_uci": (287, 447, 767, 1407, 2687, 5247, 260),
    "s5reduction_san": (322, 525, 933, 1778, 3537, 7057, 285),
}
PROMPT_TOKENS = {
    "piece_uci": (46, 62, 94, 158, 286, 543, 49),
    "piece_san": (45, 61, 94, 170, 324, 634, 48),
    "endsquare_uci": (57, 73, 105, 169, 297, 554, 60),
    "endsquare_san": (56, 72, 105, 181, 335, 645, 60),
    "legal_uci": (56, 72, 104, 168, 296, 553, 61),
    "legal_san": (55, 71, 104, 180, 334, 644, 61),
    "s5reduction_uci": (190, 318, 574, 1086, 2110, 4158, 162),
    "s5reduction_san": (207, 360, 665, 1306, 2656, 5357, 172),
}
LGM_CHANCE = (4.0, 5.1, 6.8, 7.8, 9.3, 11.7)  # % = mean legal ending squares / 64, L = 4..128


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
    lgm = ", ".join(map(str, LGM_CHANCE[:-1])) + f" and {LGM_CHANCE[-1]} %"
    rows = [
        [
            "`piece`",
            "`acc` over 13 choices (`empty` + 12 pieces)",
            "1/13 = 7.7 %; `empty` is right about a quarter of the time",
        ],
        [
            "`endsquare`",
            "`exm` (the square the game's next move went to) and `lgm` (any legal ending "
            "square), from the most likely of the 64 squares",
            f"ExM 1/64 = 1.6 %; LgM (uniform guess) {lgm} for L = 4..128",
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
            "1/2 (the rook's square is asked half the time)",
        ],
    ]
    return _table(["task", "metric", "chance"], rows)


EXAMPLE_GAME = "e2e4 e7e5 g1f3 b8c6 f1b5 a7a6 b5a4"  # the Ruy Lopez; the last ply is 'next'


def _examples() -> str:
    """Prompts of every task for one short game, rendered by the code that renders the docs."""
    board = parse(EXAMPLE_GAME, "uci")
    following = board.pop()
    text = {n: render(chess.Board(), board.move_stack, n) for n in NOTATION_LABEL}
    asks = [
        ("piece", chess.F3, piece_name(board.piece_at(chess.F3))),
        ("endsquare", following.from_square, chess.square_name(following.to_square)),
        ("legal", chess.F3, " ".join(destinations(board, chess.F3))),
    ]
    blocks = []
    for kind, square, answer in asks:
        question = {
            "piece": f"Which piece is on {chess.square_name(square)} now?",
            "endsquare": f"The next move is made by the piece on {chess.square_name(square)}. "
            "On which square does it land?",
            "legal": f"Which squares can the piece on {chess.square_name(square)} legally "
            "move to? List them in alphabetical order.",
        }[kind]
        for notation in NOTATION_LABEL:
            body = prompt(STANDARD_START, notation, text[notation], question)
            blocks.append(f"`{kind}_{notation}`:\n\n```text\n{body} {answer}\n```\n")
    start = f"Chess game from the position {chess_s5.START_FEN} (FEN)."
    for notation in NOTATION_LABEL:
        movetext, trace = chess_s5.render((0, 1), notation)
        body = prompt(start, notation, movetext, "Which piece is on c1 now?")
        answer = S5_CHOICES[0 if chess_s5.ROW[trace[-1]] == "c1" else 1]
        blocks.append(
            f"`s5reduction_{notation}` (t_0 then t_1):\n\n```text\n{body} {answer}\n```\n"
        )
    return "\n".join(blocks)


README_NOTES = f"""
## Notation, lengths, scoring

Length `L` counts plies (half-moves) for `piece`, `endsquare` and `legal`, and
transpositions (eight plies each) for `s5reduction`. Each task is given in UCI, which
names only squares (`e2e4`, castling `e1g1`, promotion `e7e8q`), and in SAN, which names
the piece (`1. e4`, `O-O`, `e8=Q+`); the two variants of a task ask the same questions
about the same games, so they differ in notation only. The few-shot demos (default 3) come
from the `train` split: games of {DEMO_LENGTH} plies that never start like a test game, or
{S5_DEMO_LENGTH} transpositions for `s5reduction`.

{_scoring_table()}
`piece` asks, five times in eight, about a piece that has left its starting square, twice
about an emptied square and once about any piece, so the answer is rarely what the
starting position had there. `endsquare` follows Toshniwal et al. (2022): the prompt gives
the starting square of the move the game actually played next. `legal` asks about a piece
of the side to move that has a legal move; castling counts as the king's move (`g1`).

## Examples

{_examples()}
## Data

No game database can be downloaded, so games are played by a seeded one-ply policy with
python-chess (`chess_games.py`): captures (of valuable pieces first), promotions,
castling, direct checks and minor-piece development are preferred, a piece does not go
straight back, and a game that ends (mate, stalemate, insufficient material, 75-move
rule, fivefold repetition) before `L + 1` plies is replaced. Castling, en passant and
(under-)promotion all occur; `tests/test_chess.py` counts them and replays every prompt
on a fresh board from its text alone. `s5reduction` plays the construction behind the
paper's hardness proof (a rook and queens permuted by moves that realise transpositions
through a spare square) as legal chess, in our own layout (`chess_s5.py`): a rook and four
queens on a1-e1, each transposition of two neighbours played as four rook-style moves
through the spare squares on rank 2 while Black's knight shuttles g8-h6. Automatic draws
(fivefold repetition, the 75-move rule) are ignored there: they end a game without making
any move illegal, and no construction for unboundedly long words can avoid them.

## Prompt sizes

Mean characters / SmolLM2-135M tokens of a zero-shot prompt; the last column is one
few-shot demo. UCI spends four tokens per ply in this tokenizer (digits are split).

{_sizes_table()}"""


FAMILY = Family(
    name="chess",
    version=1,
    rendering="nl",
    description="Chess state tracking: UCI move lists (NC1-complete to track) against SAN, "
    "which names the moving piece.",
    source=SOURCES,
    variants={v.name: v for v in _variants()},
    generate=generate,
    num_fewshot=3,
    readme_notes=README_NOTES,
    utils_imports={
        "endsquare_results": "lm_eval_statetrack.families.chess_scoring",
        "legal_results": "lm_eval_statetrack.families.chess_scoring",
    },
)
