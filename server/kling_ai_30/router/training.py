"""Training the learned layer (learned.py) from the router's case tables, at build time.

``python -m kling_ai_30.router.training tests/router/data`` rewrites ``learned.json``. Every
case table counts except ``held_back.tsv`` (kept for an honest figure); a case's label is its
first action (a free answer counts as the chat's label, ``sse``); cases with attachments are left
out, since their first action is the file, not the words. Texts go through the router's own
normalisation, respelling and masking first, so the model sees what it will see when routing.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from .compiled import grammar
from .learned import LABELS, MODEL_FILE, Model
from .learned import features as _features
from .route import masked_text

__all__ = ["main", "train", "training_examples"]

_SMOOTHING = 0.5


def train(examples: Iterable[tuple[str, str]]) -> Model:
    """Multinomial naive Bayes over :func:`features` of (normalised text, label) pairs."""
    counts = {label: Counter[str]() for label in LABELS}
    docs = Counter[str]()
    for text, label in examples:
        counts[label].update(_features(text))
        docs[label] += 1
    vocabulary = sorted(set().union(*counts.values()))
    total_docs = sum(docs.values())
    prior = tuple(math.log((docs[label] + 1) / (total_docs + len(LABELS))) for label in LABELS)
    weights: dict[str, tuple[float, ...]] = {}
    totals = {label: sum(counts[label].values()) + _SMOOTHING * len(vocabulary) for label in LABELS}
    for feature in vocabulary:
        weights[feature] = tuple(math.log((counts[label][feature] + _SMOOTHING) / totals[label]) for label in LABELS)
    return Model(LABELS, prior, weights)


def training_examples(data_dir: Path) -> list[tuple[str, str]]:
    """(normalised text, first action) of every case table in ``data_dir`` except the held-back
    set; cases with attachments are left out (their first action is the file, not the words)."""
    examples = []
    for path in sorted(data_dir.glob("*.tsv")):
        if path.name == "held_back.tsv":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            row = line.split("\t", 3)
            label, count, text = _label_count_text(path.name, row)
            if count or not text.strip():
                continue
            examples.append((masked_text(text.replace("\\n", "\n"), grammar()), label))
    return examples


def _label_count_text(name: str, row: Sequence[str]) -> tuple[str, int, str]:
    if name == "dev_cases.tsv":  # expected, attachment yes/no, text
        return row[0], int(row[1] == "yes"), row[2] if len(row) > 2 else ""
    if name == "dev_set.tsv":  # family, expected, attachments, text
        return ("sse" if row[1] == "answer" else row[1]), int(row[2]), row[3] if len(row) > 3 else ""
    return row[1].split(",")[0], int(row[2]), row[3] if len(row) > 3 else ""  # id, plan, attachments, text


def main(argv: Sequence[str]) -> int:
    """``python -m kling_ai_30.router.training DATA_DIR``: train and write the shipped weights."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m kling_ai_30.router.training tests/router/data\n")
        return 2
    model = train(training_examples(Path(argv[0])))
    out = Path(__file__).with_name(MODEL_FILE)  # package data, next to intents.yaml
    out.write_text(model.to_json(), encoding="utf-8")
    sys.stdout.write(f"{out}: {len(model.weights)} features\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
