"""Chess family: every doc re-derived from its prompt alone, special moves in both
notations, our parser's errors, the S5 reduction, scoring, and one real lm_eval run."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter

import chess
import pytest
from conftest import run_lm_eval
from oracles.chess_oracle import check, replay
from oracles.common import OracleError

from lm_eval_statetrack.baselines.chess import last_moved_to, last_san_arrival
from lm_eval_statetrack.datasets import docs
from lm_eval_statetrack.families import get_family
from lm_eval_statetrack.families.base import SPLITS
from lm_eval_statetrack.families.chess.family import (
    DESTINATIONS,
    MAX_GEN_TOKS,
    PIECE_CHOICES,
    PROMPT_CHARS,
)
from lm_eval_statetrack.families.chess.notation import NotationError, parse, render
from lm_eval_statetrack.families.chess.scoring import endsquare_results, legal_results, squares_in

FAMILY = get_family("chess")


def all_docs():
    for variant in FAMILY.variants.values():
        for length in variant.lengths:
            for split in SPLITS:
                yield from docs("chess", variant.name, length, split)


@pytest.fixture(scope="module")
def replays() -> tuple[list[str], Counter]:
    """The oracle over every doc: mismatches, and how each special move was written."""
    mismatches, special = [], Counter()
    for doc in all_docs():
        try:
            replay = check(doc)
        except OracleError as error:
            mismatches.append(f"{doc['variant']} len {doc['length']}: {error}")
            continue
        for (kind, shape), n in replay.special.items():
            special[replay.notation, kind, shape] += n
    return mismatches, special


def test_every_doc_follows_from_its_prompt(replays):
    mismatches, _ = replays
    assert not mismatches, mismatches[:5]


SPELLINGS = {  # squares blanked to "s", a capturing pawn's file to "f"
    ("UCI", "castling"): r"ss",
    ("UCI", "en passant"): r"ss",
    ("UCI", "promotion"): r"ss[qrbn]",
    ("SAN", "castling"): r"O-O(-O)?[+#]?",
    ("SAN", "en passant"): r"fxs[+#]?",
    ("SAN", "promotion"): r"(fx)?s=[QRBN][+#]?",
}


def test_castling_en_passant_and_promotion_occur_and_are_written_right(replays):
    _, special = replays
    for (notation, kind), pattern in SPELLINGS.items():
        seen = {shape: n for (nt, k, shape), n in special.items() if (nt, k) == (notation, kind)}
        assert sum(seen.values()) >= 10, (notation, kind, seen)
        assert all(re.fullmatch(pattern, shape) for shape in seen), (notation, kind, seen)
    san = {shape for nt, _, shape in special if nt == "SAN"}
    assert {"O-O", "O-O-O"} <= san  # both sides castle
    assert {"s=N", "s=Q"} <= san  # under-promotion too


def _corrupt(doc: dict, **changes) -> dict:
    return {**doc, **changes}


def test_the_oracle_catches_wrong_docs():
    piece = docs("chess", "piece_uci", 16)[0]
    wrong = (piece["answer"] + 1) % len(piece["choices"])
    with pytest.raises(OracleError, match="holds"):
        check(_corrupt(piece, answer=wrong))
    first = piece["prompt"].split("): ")[1].split()[0]
    illegal = piece["prompt"].replace(f"): {first} ", "): e2e5 ", 1)
    with pytest.raises(OracleError, match="e2e5"):
        check(_corrupt(piece, prompt=illegal))
    castles = next(d for d in docs("chess", "piece_uci", 64) if " e1g1 " in d["prompt"])
    with pytest.raises(OracleError, match="should be written 'e1g1'"):
        check(_corrupt(castles, prompt=castles["prompt"].replace(" e1g1 ", " e1h1 ")))
    legal = docs("chess", "legal_san", 8)[0]
    with pytest.raises(OracleError, match="legal destinations"):
        check(_corrupt(legal, choices=[legal["choices"][0] + " a8"]))


# --- our parser -------------------------------------------------------------------------

SPECIAL_GAME = "e2e4 g8f6 e4e5 d7d5 e5d6 e7e6 d6c7 f8e7 c7b8q e8g8"  # e.p., promotion, O-O


def test_renderer_writes_special_moves_in_both_notations_and_parser_reads_them_back():
    moves = parse(SPECIAL_GAME, "uci").move_stack
    san = render(chess.Board(), moves, "san")
    assert san == "1. e4 Nf6 2. e5 d5 3. exd6 e6 4. dxc7 Be7 5. cxb8=Q O-O"
    assert render(chess.Board(), moves, "uci") == SPECIAL_GAME
    assert parse(san, "san").move_stack == moves
    black_first = parse("e2e4", "uci")
    assert render(black_first, [chess.Move.from_uci("e7e5")], "san") == "1... e5"


@pytest.mark.parametrize(
    ("text", "notation", "message"),
    [
        ("e2e5", "uci", r"ply 1 \('e2e5'\) .*: illegal move"),
        ("e2e4 e7e5x", "uci", r"ply 2 \('e7e5x'\) .*: malformed UCI move"),
        ("e2e4 e7e5 E2E4", "uci", r"ply 3 .*malformed UCI move"),
        ("e1g1", "uci", r"ply 1 .*illegal move"),
        ("1. e4 e5 Nf3", "san", r"ply 3 \('Nf3'\) .*expected move number '2\.'"),
        ("1. Ng1f3", "san", r"non-canonical SAN; write 'Nf3'"),
        ("1. e4 e5 2. Qh5 Nc6 3. Bc4 Nf6 4. Qxf7", "san", r"write 'Qxf7#'"),
        ("1. Nf6", "san", r"ply 1 \('Nf6'\) .*illegal move"),
        ("1. e4 e5 2.", "san", r"move number without a move"),
        ("1. e4 Zz9", "san", r"malformed or ambiguous SAN move"),
        ("", "uci", r"empty move list"),
    ],
)
def test_parser_rejects_malformed_and_illegal_move_lists(text, notation, message):
    with pytest.raises(NotationError, match=message):
        parse(text, notation)


def test_parser_names_the_valid_notations():
    with pytest.raises(ValueError, match="valid notations: uci, san"):
        parse("e2e4", "pgn")


# --- the S5 reduction -------------------------------------------------------------------


def last_rook_move_rule(prompt: str) -> str:
    """The TC0 shortcut SAN allows: the rook stands where the last R move went (or where
    the FEN puts it)."""
    moves = re.search(r"Moves \(SAN\): (.+)\n", prompt).group(1)
    targets = re.findall(r"\bR[a-h1-8]?([a-h][1-8])\b", moves)
    start = chess.Board(re.search(r"position (.+) \(FEN\)", prompt).group(1))
    return targets[-1] if targets else chess.square_name(next(iter(start.pieces(chess.ROOK, 1))))


def test_s5_san_is_solved_by_the_last_rook_move_but_uci_names_no_piece():
    for length in FAMILY.variants["s5reduction_san"].lengths:
        for doc in docs("chess", "s5reduction_san", length):
            rook_there = last_rook_move_rule(doc["prompt"]) == doc["square"]
            assert doc["choices"][doc["answer"]] == ("white rook" if rook_there else "white queen")
        uci = docs("chess", "s5reduction_uci", length)
        assert not any(re.search(r"\b[RQN][a-h]", d["prompt"]) for d in uci)
        rook_asked = sum(d["answer"] == 0 for d in uci) / len(uci)
        assert 0.4 < rook_asked < 0.6


def test_s5_asked_square_does_not_predict_the_answer_at_any_length():
    """Each asked square holds the rook about half the time, the rook ends on every square
    (e1 too, at length 4), and demos start from a position no test game starts from."""
    demo_starts = {d["prompt"].split("\n")[0] for d in docs("chess", "s5reduction_uci", 4, "train")}
    for length in FAMILY.variants["s5reduction_uci"].lengths:
        test = docs("chess", "s5reduction_uci", length)
        by_square = {}
        for d in test:
            by_square.setdefault(d["square"], []).append(d["answer"] == 0)
        assert sorted(by_square) == ["a1", "b1", "c1", "d1", "e1"]
        for square, rook in by_square.items():
            assert 0.3 < sum(rook) / len(rook) < 0.7, (length, square)
        assert {d["trace"][-1] for d in test} == set(by_square), length
        assert not demo_starts & {d["prompt"].split("\n")[0] for d in test}


# --- what is asked: the answer needs the game's history -----------------------------------


def game_moves(doc: dict) -> str:
    return re.search(r"Moves \(UCI\): (.+)\n", doc["prompt"]).group(1)


def test_demos_never_share_an_opening_with_any_test_game():
    for kind in ("piece", "endsquare", "legal"):
        variant = f"{kind}_uci"
        demos = [game_moves(d) for d in docs("chess", variant, 4, "train")]
        assert len(demos) == FAMILY.train_docs
        for length in FAMILY.variants[variant].lengths:
            for test in docs("chess", variant, length):
                moves = game_moves(test) + " "
                assert not any(moves.startswith(demo + " ") for demo in demos), (variant, length)


def moves_of_occupant(moves: str, square: int) -> tuple[int, bool]:
    """How often the piece now on ``square`` moved, and whether its last move was castling,
    replayed on a fresh python-chess board (following pieces, not squares)."""
    board, history = chess.Board(), {sq: [] for sq in chess.SQUARES}
    for token in moves.split():
        move = chess.Move.from_uci(token)
        hops = [(move.from_square, move.to_square, False)]
        if board.is_castling(move):
            rank = chess.square_rank(move.from_square) * 8
            rook_from, rook_to = (7, 5) if chess.square_file(move.to_square) == 6 else (0, 3)
            hops = [
                (move.from_square, move.to_square, True),
                (rank + rook_from, rank + rook_to, True),
            ]
        for source, target, castling in hops:
            history[target] = history[source] + [castling]
            history[source] = []
        board.push(move)
    return len(history[square]), bool(history[square]) and history[square][-1]


def test_piece_asks_about_pieces_that_moved_twice_with_balanced_answers():
    for length in FAMILY.variants["piece_uci"].lengths:
        test = docs("chess", "piece_uci", length)
        for d in test:
            moved, castled = moves_of_occupant(game_moves(d), chess.parse_square(d["square"]))
            assert moved >= 2 or castled, (length, d["square"], d["prompt"])
        if length >= 16:
            golds = Counter(d["choices"][d["answer"]] for d in test)
            assert "empty" not in golds and max(golds.values()) <= 0.14 * len(test), golds


def test_endsquare_asks_about_a_knight_bishop_or_rook_with_5_to_8_legal_moves():
    for length in FAMILY.variants["endsquare_uci"].lengths:
        kinds = Counter()
        for d in docs("chess", "endsquare_uci", length):
            r = replay(d["prompt"])
            kinds[r.board.piece_type_at(r.square)] += 1
            assert len(d["targets"]) in DESTINATIONS and d["next_move"][2:4] in d["targets"]
        assert set(kinds) <= {chess.KNIGHT, chess.BISHOP, chess.ROOK}, kinds
        assert len(kinds) == 3 or length < 16, kinds


# --- scoring ----------------------------------------------------------------------------


def test_endsquare_scores_exact_and_legal_matches_from_the_most_likely_square():
    doc = {"choices": list(chess.SQUARE_NAMES), "answer": chess.A4, "targets": ["a4", "c4"]}

    def scores(best: int) -> list[tuple[float, bool]]:
        return [(0.0 if sq == best else -5.0, False) for sq in chess.SQUARES]

    assert endsquare_results(doc, scores(chess.A4)) == {"lgm": 1.0, "exm": 1.0}
    assert list(endsquare_results(doc, scores(chess.A4))) == ["lgm", "exm"]  # lgm is primary
    assert FAMILY.variants["endsquare_uci"].metrics[0] == "lgm"
    assert endsquare_results(doc, scores(chess.C4)) == {"exm": 0.0, "lgm": 1.0}
    assert endsquare_results(doc, scores(chess.H8)) == {"exm": 0.0, "lgm": 0.0}


def test_legal_needs_exactly_the_legal_squares_in_any_format():
    doc = {"targets": ["d4", "e5", "g1"]}
    assert legal_results(doc, [" e5 d4 g1"]) == {"set_match": 1.0}
    assert legal_results(doc, [" d4, e5 and g1."]) == {"set_match": 1.0}
    assert legal_results(doc, [" d4 e5"]) == {"set_match": 0.0}
    assert legal_results(doc, [" d4 e5 g1 h3"]) == {"set_match": 0.0}
    assert squares_in("g1f3 Nf3") == set()  # a move is not a square list


def test_every_legal_answer_fits_in_max_gen_toks_even_one_byte_per_token():
    assert MAX_GEN_TOKS >= len(" " + " ".join(["a1"] * 27) + "\n")  # a queen's 27 squares
    for variant in ("legal_uci", "legal_san"):
        for length in FAMILY.variants[variant].lengths:
            longest = max(len(d["choices"][0]) for d in docs("chess", variant, length))
            assert longest + 2 <= MAX_GEN_TOKS


# --- the README's numbers ---------------------------------------------------------------


def test_readme_prompt_sizes_are_current():
    for name, sizes in PROMPT_CHARS.items():
        lengths = FAMILY.variants[name].lengths
        for length, chars in zip(lengths, sizes):
            prompts = [d["prompt"] for d in docs("chess", name, length)]
            assert round(statistics.mean(map(len, prompts))) == chars, (name, length)
        demos = [
            f"{d['prompt']} {d['choices'][d['answer']]}\n\n"
            for d in docs("chess", name, lengths[0], "train")
        ]
        assert round(statistics.mean(map(len, demos))) == sizes[-1], name


# --- one real lm_eval run ---------------------------------------------------------------

METRICS = {"piece": {"acc"}, "endsquare": {"exm", "lgm"}, "legal": {"set_match"}}


@pytest.mark.slow
def test_lm_eval_runs_every_chess_variant_with_few_shot_demos(tiny_llama, tmp_path):
    """Every variant at its shortest length (each length's YAML is generated from the same
    template, checked by test_task_suite; every doc by the oracle above)."""
    out = run_lm_eval(
        [
            "--model", "hf",
            "--model_args", f"pretrained={tiny_llama},dtype=float32",
            "--tasks", "statetrack_chess_*_len4",
            "--limit", "2",
            "--batch_size", "16",
            "--gen_kwargs", "max_gen_toks=8",
            "--log_samples",
        ],
        tmp_path,
        env={"OMP_NUM_THREADS": "1"},  # 3x faster than 2 threads on a busy 2-core machine
    )  # fmt: skip
    leaves = {FAMILY.task_name(v.name, v.lengths[0]) for v in FAMILY.variants.values()}
    assert {v.lengths[0] for v in FAMILY.variants.values()} == {4}
    assert leaves <= set(out["results"])
    for name in leaves:
        kind = name.split("_")[2]
        row = out["results"][name]
        for metric in METRICS.get(kind, {"acc"}):
            assert 0.0 <= row[f"{metric},none"] <= 1.0, (name, metric)
    samples = {
        p.name.split("_20")[0].removeprefix("samples_"): p for p in tmp_path.rglob("samples_*")
    }
    for name in leaves:
        for line in samples[name].read_text().splitlines():
            _check_sample(name, json.loads(line))


def _check_sample(task: str, sample: dict) -> None:
    """The context is three train demos and the doc; the metrics follow from the responses."""
    doc = sample["doc"]
    context = sample["arguments"]["gen_args_0"]["arg_0"]
    *demos, query = context.split("\n\n")
    assert query == doc["prompt"] and len(demos) == FAMILY.num_fewshot, task
    train = docs("chess", doc["variant"], doc["length"], "train")
    expected = {f"{d['prompt']} {d['choices'][d['answer']]}" for d in train}
    assert set(demos) <= expected, task
    if doc["variant"].startswith("endsquare"):
        scores = [float(r[0]) for r in sample["filtered_resps"]]
        best = doc["choices"][scores.index(max(scores))]
        assert sample["exm"] == float(best == doc["choices"][doc["answer"]])
        assert sample["lgm"] == float(best in doc["targets"])
    if doc["variant"].startswith("legal"):
        assert sample["set_match"] == float(
            squares_in(sample["filtered_resps"][0]) == set(doc["targets"])
        )


# --- the shallow rules of the baselines --------------------------------------------------


def test_shallow_rules_read_only_the_last_move_naming_the_square():
    def ask(notation: str, moves: str, square: str) -> str | None:
        text = f"Chess game from the standard starting position.\nMoves ({notation}): {moves}\n"
        pick = (last_moved_to if notation == "UCI" else last_san_arrival)(
            text + f"Question: Which piece is on {square} now?\nAnswer:", PIECE_CHOICES
        )
        return None if pick is None else PIECE_CHOICES[pick]

    uci = "e2e4 e7e5 g1f3 b8c6 f3g5"
    assert ask("UCI", uci, "e4") == "white pawn"  # e2 started with a white pawn
    assert ask("UCI", uci, "f3") == "empty"  # the last ply naming f3 left it
    assert ask("UCI", uci, "g5") is None  # f3 started empty: the rule cannot tell
    assert ask("UCI", uci, "a1") == "white rook"  # never named: the starting piece
    assert ask("SAN", "1. e4 e5 2. Nf3 Nc6 3. Ng5", "g5") == "white knight"
    assert ask("SAN", "1. e4 e5 2. Nf3 Nc6 3. Bc4 Nf6 4. O-O", "f1") == "white rook"
