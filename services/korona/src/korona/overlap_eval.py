"""Precision and recall of :mod:`korona.overlap` on a labelled set of proposals.

The labelled set (``tests/data`` of this service; see its README) has two files:

- ``overlap-candidates.tsv``: ``key, kind, title, text``: the corona net list, the national
  portfolio's measures and a few earlier proposals;
- ``overlap-labelled.tsv``: ``id, split, theme, query, overlaps``: a proposal text, ``train`` or
  ``test``, a theme, and the space-separated keys of the candidates it truly overlaps with (empty
  when none).

Scores count (query, candidate) pairs: a reported match is a true positive when the key is among
the query's overlaps. The threshold is tuned on ``train`` only; ``test`` is held out.

Run ``python -m korona.overlap_eval [DATA_DIR]`` to print the figures.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from korona.overlap import DEFAULT_THRESHOLD, Candidate, OverlapIndex

CANDIDATES_FILE = "overlap-candidates.tsv"
LABELLED_FILE = "overlap-labelled.tsv"
SPLITS = ("train", "test")


@dataclass(frozen=True)
class LabelledQuery:
    """One proposal text and the keys of the candidates it truly overlaps with."""

    id: str
    split: str
    theme: str
    text: str
    overlaps: frozenset[str]


@dataclass(frozen=True)
class Scores:
    """Pair-level precision and recall, and two per-query rates that matter to a proposer.

    ``hit_rate``: share of queries with a true overlap whose results include at least one of them.
    ``false_alarm_rate``: share of queries without any true overlap that get a match anyway.
    """

    queries: int
    true_positives: int
    false_positives: int
    false_negatives: int
    hit_rate: float
    false_alarm_rate: float

    @property
    def precision(self) -> float:
        reported = self.true_positives + self.false_positives
        return self.true_positives / reported if reported else 1.0

    @property
    def recall(self) -> float:
        relevant = self.true_positives + self.false_negatives
        return self.true_positives / relevant if relevant else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def default_data_dir() -> Path:
    """``services/korona/tests/data``, next to this package's source tree."""
    return Path(__file__).resolve().parents[2] / "tests" / "data"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_candidates(path: Path) -> list[Candidate]:
    return [
        Candidate(key=r["key"], kind=r["kind"], title=r["title"], text=r["text"] or "")
        for r in _rows(path)
    ]


def load_queries(path: Path) -> list[LabelledQuery]:
    queries = []
    for r in _rows(path):
        if r["split"] not in SPLITS:
            raise ValueError(f"{path}: query {r['id']} has split {r['split']!r}")
        queries.append(
            LabelledQuery(
                id=r["id"],
                split=r["split"],
                theme=r["theme"],
                text=r["query"],
                overlaps=frozenset((r["overlaps"] or "").split()),
            )
        )
    return queries


def build_index(
    candidates: Iterable[Candidate], threshold: float = DEFAULT_THRESHOLD
) -> OverlapIndex:
    index = OverlapIndex(threshold=threshold)
    index.add_all(tuple(candidates))
    return index


def evaluate(
    index: OverlapIndex, queries: Sequence[LabelledQuery], threshold: float | None = None
) -> Scores:
    """Score ``index.similar`` on ``queries`` (at the index's threshold unless one is given)."""
    tp = fp = fn = hits = positives = alarms = negatives = 0
    for query in queries:
        found = {m.key for m in index.similar(query.text, threshold=threshold)}
        tp += len(found & query.overlaps)
        fp += len(found - query.overlaps)
        fn += len(query.overlaps - found)
        if query.overlaps:
            positives += 1
            hits += bool(found & query.overlaps)
        else:
            negatives += 1
            alarms += bool(found)
    return Scores(
        queries=len(queries),
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        hit_rate=hits / positives if positives else 1.0,
        false_alarm_rate=alarms / negatives if negatives else 0.0,
    )


def tune_threshold(
    index: OverlapIndex, queries: Sequence[LabelledQuery], grid: Iterable[float] | None = None
) -> tuple[float, Scores]:
    """The threshold with the best F1 on ``queries`` (the highest one among equals)."""
    steps = grid if grid is not None else (round(0.05 + i / 100, 2) for i in range(56))
    best: tuple[float, Scores] | None = None
    for threshold in steps:
        scores = evaluate(index, queries, threshold)
        if best is None or scores.f1 >= best[1].f1:
            best = (threshold, scores)
    if best is None:
        raise ValueError("empty threshold grid")
    return best


def split(queries: Iterable[LabelledQuery], name: str) -> list[LabelledQuery]:
    return [q for q in queries if q.split == name]


def _line(name: str, s: Scores) -> str:
    return (
        f"{name:<6} queries={s.queries:<3} precision={s.precision:.3f} recall={s.recall:.3f} "
        f"f1={s.f1:.3f} (tp={s.true_positives} fp={s.false_positives} fn={s.false_negatives}) "
        f"hit_rate={s.hit_rate:.3f} false_alarm_rate={s.false_alarm_rate:.3f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m korona.overlap_eval", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("data_dir", nargs="?", type=Path, default=default_data_dir())
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--misses", action="store_true", help="list wrong and missed matches")
    args = parser.parse_args(argv)
    candidates = load_candidates(args.data_dir / CANDIDATES_FILE)
    queries = load_queries(args.data_dir / LABELLED_FILE)
    index = build_index(candidates, args.threshold)
    out = sys.stdout
    out.write(f"candidates={len(candidates)} queries={len(queries)} threshold={index.threshold}\n")
    for name in SPLITS:
        out.write(_line(name, evaluate(index, split(queries, name))) + "\n")
    best, scores = tune_threshold(index, split(queries, "train"))
    out.write(f"best threshold on train: {best} (f1={scores.f1:.3f})\n")
    if args.misses:
        for query in queries:
            found = {m.key: m.score for m in index.similar(query.text)}
            wrong = {k: v for k, v in found.items() if k not in query.overlaps}
            missed = sorted(query.overlaps - found.keys())
            if wrong or missed:
                out.write(f"{query.id} [{query.split}] {query.text[:60]!r}\n")
                out.write(f"    wrong={wrong} missed={missed}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
