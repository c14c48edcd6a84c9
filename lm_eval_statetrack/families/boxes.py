"""Entity tracking (Kim & Schuster 2023): what is in a box after a series of operations?

``move``, the paper's format::

    Box 0 contains the bell, Box 1 contains nothing, ...
    Move the bell from Box 0 to Box 1. Put the key into Box 3. Remove the egg from Box 5.
    Question: What does Box 1 contain now?
    Answer: Box 1 contains                   choices: the bell / nothing / the bell and ...

``trade``: seven people carry bags and trade whole bags ("Alice and Carol trade bags."):
the bags are permuted by transpositions, the NC1-complete form of the task. The choices are
the true contents and three distractors drawn from plausible states: the asked container's
earlier contents and the other containers' final contents.
"""

from __future__ import annotations

from lm_eval_statetrack.families import nl, papers
from lm_eval_statetrack.families.base import Doc
from lm_eval_statetrack.rng import StableRandom

OBJECTS = (
    "apple", "bell", "book", "brick", "coat", "cup", "drum", "egg", "fan", "hat",
    "key", "lamp", "map", "note", "pen", "ring", "shoe", "sock", "toy", "watch",
)  # fmt: skip
N_BOXES = 7
CAPACITY = 3
N_CHOICES = 4
BOXES = tuple(f"Box {i}" for i in range(N_BOXES))
BAGS = tuple(f"{p}'s bag" for p in nl.PEOPLE)

Contents = tuple[str, ...]  # sorted object names


def render(contents: Contents) -> str:
    """``the bell``, ``the bell and the key``, ``nothing``: also the choice strings."""
    return nl.join_words([f"the {o}" for o in contents]) if contents else "nothing"


def _move_step(boxes: list[Contents], rng: StableRandom) -> tuple[str, tuple[int, ...]]:
    """A valid Move / Remove / Put of a uniformly drawn object, applied in place.

    An object outside every box is put into a box with room; one in a box is removed
    (1/3) or moved to another box with room (2/3). Returns the sentence and changed boxes.
    """
    obj = OBJECTS[rng.below(len(OBJECTS))]
    src = next((i for i, box in enumerate(boxes) if obj in box), None)
    roomy = [i for i, box in enumerate(boxes) if len(box) < CAPACITY and i != src]
    if src is None:
        dst = roomy[rng.below(len(roomy))]
        boxes[dst] = tuple(sorted((*boxes[dst], obj)))
        return f"Put the {obj} into Box {dst}.", (dst,)
    boxes[src] = tuple(o for o in boxes[src] if o != obj)
    u = rng.below(3 * len(roomy)) if roomy else 0
    if not roomy or u < len(roomy):
        return f"Remove the {obj} from Box {src}.", (src,)
    dst = roomy[u % len(roomy)]
    boxes[dst] = tuple(sorted((*boxes[dst], obj)))
    return f"Move the {obj} from Box {src} to Box {dst}.", (src, dst)


TRADES = [(a, b) for a in range(N_BOXES) for b in range(N_BOXES) if a != b]


def _trade_step(bags: list[Contents], rng: StableRandom) -> tuple[str, tuple[int, ...]]:
    a, b = TRADES[rng.below(len(TRADES))]
    bags[a], bags[b] = bags[b], bags[a]
    return f"{nl.PEOPLE[a]} and {nl.PEOPLE[b]} trade bags.", (a, b)


def _initial(variant: str, rng: StableRandom) -> list[Contents]:
    """Move: 0-2 objects per box (room to move); trade: 1-2 per bag (no empty bags)."""
    pool = rng.sample(OBJECTS, len(OBJECTS))
    out = []
    for _ in range(N_BOXES):
        k = rng.below(3) if variant == "move" else 1 + rng.below(2)
        out.append(tuple(sorted(pool[:k])))
        pool = pool[k:]
    return out


def _near(truth: Contents) -> list[Contents]:
    """The truth with one object removed, added or replaced (never empty as a list)."""
    extra = [o for o in OBJECTS if o not in truth]
    out = [tuple(o for o in truth if o != gone) for gone in truth]
    out += [tuple(sorted(truth + (new,))) for new in extra if len(truth) < CAPACITY]
    out += [
        tuple(sorted(tuple(o for o in truth if o != gone) + (new,)))
        for gone in truth
        for new in extra
    ]
    return out


def _distractors(
    truth: Contents, history: list[Contents], others: list[Contents], rng: StableRandom
) -> list[Contents]:
    """Three wrong answers: earlier contents of the asked container and other containers'
    final contents, topped up (only if those run out) with near misses of the truth."""
    pool = list(dict.fromkeys(c for c in history + others if c != truth))
    picked = rng.sample(pool, min(N_CHOICES - 1, len(pool)))
    if len(picked) < N_CHOICES - 1:
        near = [c for c in _near(truth) if c not in picked]
        picked += rng.sample(near, N_CHOICES - 1 - len(picked))
    return picked


def sample(variant: str, length: int, rng: StableRandom) -> Doc:
    state = _initial(variant, rng)
    names = BOXES if variant == "move" else BAGS
    verb = "contains" if variant == "move" else "holds"
    start = " ".join(f"{n} {verb} {render(c)}." for n, c in zip(names, state))
    step = _move_step if variant == "move" else _trade_step
    sentences, states, touched, trace = [], [tuple(state)], set(), []
    parts = [",".join(c) for c in state]  # the trace string of each container
    for _ in range(length):
        sentence, changed = step(state, rng)
        for i in changed:
            parts[i] = ",".join(state[i])
        sentences.append(sentence)
        states.append(tuple(state))
        touched.update(changed)
        trace.append("|".join(parts))
    asked = rng.choice(sorted(touched))
    truth = state[asked]
    history = [s[asked] for s in states[:-1]]
    others = [c for i, c in enumerate(state) if i != asked]
    choices = [truth, *_distractors(truth, history, others, rng)]
    rng.shuffle(choices)
    if variant == "move":
        head = f"There are {N_BOXES} boxes. {start}"
        question = f"What does Box {asked} contain now?\nAnswer: Box {asked} contains"
    else:
        head = f"{nl.join_words(nl.PEOPLE)} each carry a bag. {start}"
        question = f"What is in {names[asked]} now?\nAnswer: {names[asked]} holds"
    prompt = f"{head} Then, in order:\n{' '.join(sentences)}\nQuestion: {question}"
    return {
        "prompt": prompt,
        "choices": [render(c) for c in choices],
        "answer": choices.index(truth),
        "trace": trace,
    }


generate = nl.generator("boxes", sample)

NOTES = f"""## Source and complexity

Kim & Schuster (2023), *Entity Tracking in Language Models* (ACL): seven boxes, initial
contents, then `Move`, `Remove` and `Put` operations; the question asks for one box's
contents. Each object's place is decided by the last operation that names it, so `move` is
a TC0 (aperiodic, last-write-wins) task however long. In `trade`, people exchange whole
bags: the state is a permutation of seven holdings and each step a transposition, which
embeds the S5 word problem (NC1-complete), as Merrill, Petty & Sabharwal (2024) point out.

The asked box or bag is always one that some step changed. Each doc has {N_CHOICES} choices
(the true contents and 3 distractors from plausible states: the same container's earlier
contents and other containers' final contents), so chance is 1/{N_CHOICES}. Contents are listed
in alphabetical order, in the story and in the choices.

{nl.readme_example(generate, "move")}{nl.readme_example(generate, "trade")}"""

FAMILY = nl.family(
    name="boxes",
    version=2,
    description=(
        "Entity tracking: the contents of one of seven boxes (or bags) after a series of "
        "moves, removals and insertions, or of whole-bag trades."
    ),
    papers=(papers.KIM_SCHUSTER_2023,),
    source="Kim & Schuster, Entity Tracking in Language Models (ACL 2023)",
    variants={
        "move": nl.variant(
            "move",
            "Move / Remove / Put single objects between seven boxes (the paper's format)",
            "TC0 (last write wins)",
            1 / N_CHOICES,
        ),
        "trade": nl.variant(
            "trade",
            "seven people trade whole bags (transpositions of S7)",
            "NC1-complete",
            1 / N_CHOICES,
            hard=True,
        ),
    },
    generate=generate,
    readme_notes=NOTES,
)
