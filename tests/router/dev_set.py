"""The issue-14 development and held-back sets: loading and scoring (shared by the tests and
``bench/bench_router.py``, which prints the per-family table for BENCHMARKS.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kling_ai_30.router import RoutePlan, route

DATA = Path(__file__).parent / "data"
DEV_SET = DATA / "dev_set.tsv"
HELD_BACK = DATA / "held_back.tsv"
ANSWER = "answer"
"""Expected first action sse, answered or asked for free (skip_sse true, nothing sent)."""


@dataclass(frozen=True)
class Utterance:
    family: str
    expected: str  # an action name, or ANSWER
    attachments: tuple[str, ...]
    text: str

    @property
    def label(self) -> str:
        """The first action a held-out scorer expects (an answer is still the sse label)."""
        return "sse" if self.expected == ANSWER else self.expected


def load(path: Path) -> list[Utterance]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        family, expected, count, text = (*line.split("\t", 3), "")[:4]
        attachments = tuple(f"/tmp/attachment-{i}.jpg" for i in range(int(count)))
        rows.append(Utterance(family, expected, attachments, text))
    return rows


def outcome(plan: RoutePlan) -> str:
    """What the plan does first, in the sets' terms."""
    first = plan.first
    return ANSWER if first.action.value == "sse" and first.skip_sse else first.action.value


@dataclass(frozen=True)
class Score:
    family: str
    cases: int
    first_action: int  # the first action's label is right (what a held-out scorer checks)
    strict: int  # and an expected free answer was free (ANSWER), a sent message was sent

    def percent(self, hits: int) -> float:
        return 100.0 * hits / self.cases if self.cases else 0.0


def score(cases: Iterable[Utterance], router: Callable[[str, tuple[str, ...]], RoutePlan] = route) -> list[Score]:
    """Per family, in the order families first appear, then the total (family "all")."""
    order: dict[str, None] = {}
    total, first, strict = Counter[str](), Counter[str](), Counter[str]()
    for case in cases:
        order[case.family] = None
        plan = router(case.text, case.attachments)
        got = outcome(plan)
        for key in (case.family, "all"):
            total[key] += 1
            first[key] += plan.first.action.value == case.label
            strict[key] += got == case.expected
    return [Score(family, total[family], first[family], strict[family]) for family in [*order, "all"]]
