"""Overlap detector: which earlier proposals and running measures meet the same need as a text.

Criterion 4 of the corona portfolio says a proposal must not overlap with measures already under
way or in production, and proposals covering the same need are weighed against each other. When a
proposal arrives, :class:`OverlapIndex` finds the candidates (earlier proposals, the national
portfolio's measures, the corona net list) whose text is most like it, so a working group sees them
together and a proposer can be told at once that a need is already covered.

Why TF-IDF over character n-grams (scikit-learn's ``TfidfVectorizer``, ``analyzer="char_wb"``):

- The texts are short Norwegian bokmål, full of compounds and inflection: "videokonsultasjon",
  "videokonsultasjoner", "video-konsultasjon" and "videoløsning", or "smittesporing" and
  "smitteoppsporing", share most of their 3-5 character n-grams while their whole words differ.
  No Norwegian stemmer or compound splitter is needed, and English words work the same way.
- scikit-learn is widely used and well maintained, runs offline, downloads no model, and gives the
  same result for the same input. A pretrained multilingual embedding model would need weights from
  a model hub, which this service must not fetch.
- Measured on the labelled set (``tests/data``, see docs/korona-overlap.md): adding a word-level
  TF-IDF to the score, or 2-4 or 4-6 character n-grams instead of 3-5, did not do better.

Before the n-grams are taken, the text is lower-cased, hyphenated compounds are joined and stop
words dropped: Norwegian function words, and words that any corona proposal may use whatever its
need ("korona", "covid", "tilbyr", "løsning", "digital", "kommunen", "sykehus", ...). Target groups
("innbyggere", "helsepersonell") are kept: they tell net-list rows apart.

The index is refitted lazily: ``add`` and ``remove`` only mark it stale, and the next ``similar``
refits (about 0.15 s for 1,000 candidates on a 2-core machine). A query against a fitted index is
one sparse matrix-vector product (about 2 ms for 1,000 candidates). All public methods take one
lock, so the index may be shared by threads.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]
    TfidfVectorizer,
)

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_THRESHOLD",
    "KINDS",
    "Candidate",
    "Match",
    "OverlapIndex",
    "normalise",
]

KINDS: Final = frozenset({"proposal", "measure", "netlist"})
"""Kinds of candidate: an earlier corona proposal, a national-portfolio measure, a net-list row."""

DEFAULT_THRESHOLD: Final = 0.27
"""Lowest score reported; tuned on the train half of tests/data/overlap-labelled.tsv."""

DEFAULT_LIMIT: Final = 5

_CHAR_NGRAMS: Final = (3, 5)
_SCORE_DECIMALS: Final = 6

# Norwegian bokmål function words (after the Snowball list, trimmed) and a few English ones.
_FUNCTION_WORDS: Final = """
    alle at av bare ble blir bli blitt både da de deg dem den denne deres det dette disse du eller
    en enn er et ett etter for fordi fra før ha hadde han har hen her hun hva hvem hver hvilke
    hvilken hvis hvor hvordan hvorfor i ikke inn ingen jeg kan kom kunne man mange med meg mellom
    men mot må noe noen nå når og også om opp oss over på samme seg selv sin sine sitt skal skulle
    slik som så sånn til uten ut var ved vi vil ville vår være vært å dere egen eget egne
    a an and are as by for from in is of on or the to with
"""
# The subject of every corona proposal.
_CORONA_WORDS: Final = """
    korona koronaviruset koronavirus koronakrisen koronapandemien koronasituasjonen covid covid19
    sars cov sarscov2 19 pandemi pandemien
"""
# How proposals speak, whatever their need.
_PROPOSAL_WORDS: Final = """
    tilby tilbyr tilbud ønsker trenger foreslår behov løsning løsningen løsninger tjeneste
    tjenesten system verktøy bruk bruke bruker får gir går daglig rask raskt enkel enkelt
"""
# Settings nearly every proposal names. Target groups (innbyggere, helsepersonell) are kept.
_SETTING_WORDS: Final = """
    digital digitale digitalt elektronisk elektroniske helsetjenesten pasient pasienter pasientene
    kommune kommunen kommunene kommuner sykehus sykehusene
"""
_STOP_WORDS: Final = frozenset(
    " ".join((_FUNCTION_WORDS, _CORONA_WORDS, _PROPOSAL_WORDS, _SETTING_WORDS)).split()
)

# Hyphen-minus, hyphen, non-breaking hyphen and en dash between two word characters.
_HYPHEN_IN_WORD = re.compile("(?<=\\w)[-\u2010\u2011\u2013](?=\\w)")
_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Lower-case, join hyphenated compounds, drop punctuation and stop words.

    ``"Video-konsultasjon på Helsenorge"`` becomes ``"videokonsultasjon helsenorge"``.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _HYPHEN_IN_WORD.sub("", text)
    return " ".join(w for w in _NON_WORD.sub(" ", text).split() if w not in _STOP_WORDS)


@dataclass(frozen=True)
class Candidate:
    """Something a new proposal may overlap with.

    ``key`` is unique across kinds (e.g. ``"netlist:5"``, ``"measure:171"``, ``"proposal:F-12"``);
    ``title`` is for display; ``text`` is what is compared (title, description, need...), and the
    title is compared when ``text`` is empty.
    """

    key: str
    kind: str
    title: str
    text: str = ""

    def __post_init__(self) -> None:
        if not self.key.strip():
            raise ValueError("a candidate needs a key")
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown candidate kind {self.kind!r}; expected one of {sorted(KINDS)}"
            )

    @property
    def document(self) -> str:
        return self.text if self.text.strip() else self.title


@dataclass(frozen=True)
class Match:
    """A candidate similar to the text asked about; ``score`` is in 0..1, higher is more alike."""

    key: str
    kind: str
    title: str
    score: float


@dataclass(frozen=True)
class _Fitted:
    """The vectoriser and the candidate matrix of one fit."""

    candidates: tuple[Candidate, ...]
    vectorizer: Any  # TfidfVectorizer (scikit-learn ships no type hints)
    matrix: Any  # scipy.sparse CSR, one L2-normalised row per candidate


class OverlapIndex:
    """Candidates for overlap, searchable by text similarity. Thread-safe.

    ``threshold`` is the lowest score ``similar`` reports and ``limit`` how many matches it returns
    at most; both can be overridden per call. Results depend only on the set of candidates and the
    query, not on the order candidates were added in.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, limit: int = DEFAULT_LIMIT) -> None:
        self._threshold = _check_threshold(threshold)
        self._limit = _check_limit(limit)
        self._candidates: dict[str, Candidate] = {}
        self._fitted: _Fitted | None = None
        self._stale = False
        self._lock = threading.Lock()

    @property
    def threshold(self) -> float:
        return self._threshold

    @property
    def limit(self) -> int:
        return self._limit

    def __len__(self) -> int:
        with self._lock:
            return len(self._candidates)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._candidates

    def add(self, candidate: Candidate) -> None:
        """Add a candidate, or replace the one with the same key."""
        with self._lock:
            if self._candidates.get(candidate.key) != candidate:
                self._candidates[candidate.key] = candidate
                self._stale = True

    def add_all(self, candidates: Iterable[Candidate]) -> None:
        """Add several candidates (one refit later instead of one per candidate)."""
        for candidate in candidates:
            self.add(candidate)

    def remove(self, key: str) -> None:
        """Forget a candidate; nothing happens if the key is unknown."""
        with self._lock:
            if self._candidates.pop(key, None) is not None:
                self._stale = True

    def similar(
        self,
        text: str,
        *,
        exclude: str | None = None,
        threshold: float | None = None,
        limit: int | None = None,
    ) -> list[Match]:
        """Candidates whose score for ``text`` is at least the threshold, best first.

        ``exclude`` leaves out one key (a proposal compared with the index it is already in). Ties
        are ordered by key. A candidate sharing nothing with ``text`` (score 0) is never a match,
        whatever the threshold.
        """
        floor = self._threshold if threshold is None else _check_threshold(threshold)
        most = self._limit if limit is None else _check_limit(limit)
        query = normalise(text)
        if not query:
            return []
        with self._lock:
            fitted = self._fit()
            if fitted is None:
                return []
            scores = _scores(fitted, query)
        order = np.lexsort((np.arange(scores.size), -scores))
        matches: list[Match] = []
        for i in order:
            score = float(scores[i])
            if score < floor or score <= 0.0 or len(matches) == most:
                break
            candidate = fitted.candidates[int(i)]
            if candidate.key == exclude:
                continue
            matches.append(Match(candidate.key, candidate.kind, candidate.title, score))
        return matches

    def _fit(self) -> _Fitted | None:
        """The current fit, refitted first if candidates changed. Called with the lock held."""
        if not self._stale:
            return self._fitted
        self._stale = False
        candidates = tuple(sorted(self._candidates.values(), key=lambda c: c.key))
        documents = [normalise(c.document) for c in candidates]
        self._fitted = None
        if not any(documents):
            return None
        vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=_CHAR_NGRAMS,
            lowercase=False,  # normalise() has done it
            sublinear_tf=True,
            dtype=np.float64,
        )
        matrix = vectorizer.fit_transform(documents).tocsr()
        self._fitted = _Fitted(candidates, vectorizer, matrix)
        return self._fitted


def _scores(fitted: _Fitted, query: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Cosine of ``query`` with every candidate (rows and query are L2-normalised)."""
    query_vector = fitted.vectorizer.transform([query])
    cosines = (fitted.matrix @ query_vector.T).toarray().ravel()
    scores: np.ndarray[Any, np.dtype[np.float64]] = np.round(
        np.clip(cosines, 0.0, 1.0), _SCORE_DECIMALS
    )
    return scores


def _check_threshold(threshold: float) -> float:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    return float(threshold)


def _check_limit(limit: int) -> int:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    return limit
