"""The learned layer beside the tables: a naive Bayes model over words and Chinese character pairs.

The tables decide; this layer only speaks when they found no phrase at all in a message and the
message would go to the paid chat. If the model then reads it as one of the free actions with
enough confidence, the router asks before doing anything (``Step.question``): a guess never runs
an action, and never spends credits on a question the tables did not recognise.

Features are what a person would point at: English words and word pairs, and pairs of Chinese
characters, of the normalised, respelt, masked text (quotes and links are placeholders). The
weights are trained from the router's own case tables (``tests/router/data``, never the held-back
set) by ``python -m kling_ai_30.router.training`` and shipped as ``learned.json``; a test keeps
the shipped file equal to a fresh training, so it cannot drift from the cases.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from itertools import pairwise

__all__ = ["LABELS", "MODEL_FILE", "Model", "Prediction", "features", "load_model"]

MODEL_FILE = "learned.json"
LABELS = ("export", "credits", "state", "upload", "sse")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_HAN = re.compile(r"[\u3400-\u9fff]{2,}")


def features(text: str) -> list[str]:
    """Words, word pairs and Chinese character pairs of normalised text."""
    words = _WORD.findall(text)
    out = [*words, *(f"{a} {b}" for a, b in pairwise(words))]
    for run in _HAN.findall(text):
        out += [run[i : i + 2] for i in range(len(run) - 1)]
    return out


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    evidence: tuple[str, ...]
    """The features that pushed hardest towards the label (against the chat)."""


@dataclass(frozen=True)
class Model:
    labels: tuple[str, ...]
    prior: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    """Feature -> log P(feature | label), per label; unseen features are left out of a score."""

    def predict(self, text: str) -> Prediction:
        scores = list(self.prior)
        seen = [feature for feature in features(text) if feature in self.weights]
        for feature in seen:
            for i, weight in enumerate(self.weights[feature]):
                scores[i] += weight
        top = max(scores)
        exp = [math.exp(score - top) for score in scores]
        best = exp.index(1.0)
        chat = self.labels.index("sse")
        if best == chat:  # the usual answer: nothing to explain beyond the probability
            return Prediction(self.labels[best], 1.0 / sum(exp), ())
        evidence = sorted(seen, key=lambda f: self.weights[f][chat] - self.weights[f][best])[:3]
        return Prediction(self.labels[best], 1.0 / sum(exp), tuple(dict.fromkeys(evidence)))

    def to_json(self) -> str:
        data = {
            "labels": self.labels,
            "prior": [round(p, 4) for p in self.prior],
            "weights": {f: [round(w, 3) for w in ws] for f, ws in sorted(self.weights.items())},
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"


def load_model(text: str) -> Model:
    data = json.loads(text)
    return Model(tuple(data["labels"]), tuple(data["prior"]), {f: tuple(w) for f, w in data["weights"].items()})
