"""How alike two names are, with the standard library's difflib (no extra dependency).

Names are normalised first (case, Unicode form, punctuation, dashes, whitespace). Two
names score the best of three ``SequenceMatcher`` ratios: the whole strings, the strings
with their words sorted, and a word-by-word comparison in both directions (each word
paired with its most similar word on the other side, weighted by length). The last one
tolerates spelling slips ("Førerettsforvaltning"/"Førerrettsforvaltning") but not extra
words: "Akson" and "Akson - journal" are far apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache

_NOT_WORD = re.compile(r"[\W_]+")
_AREA_CODE = re.compile(r"^\s*(\d+(?:\.\d+)*)")
_AGENCY_SUFFIXES = ("rhf", "hf", "as")
STEM_LENGTH = 5
"""Shortest common word beginning that counts as a shared stem ("legemiddel...")."""


def normalise(text: str) -> str:
    """Lower case, NFKC, every run of punctuation, dashes and whitespace one space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub(" ", folded).strip()


def normalise_agency(text: str) -> str:
    """An agency's name without case, punctuation or a trailing "RHF"/"HF"/"AS"."""
    words = normalise(text).split()
    while len(words) > 1 and words[-1] in _AGENCY_SUFFIXES:
        words.pop()
    return " ".join(words)


def same_agency(a: str, b: str) -> bool:
    """Whether two spellings name the same agency ("Helse Sør-Øst" and "Helse Sør-Øst RHF")."""
    return bool(normalise_agency(a)) and normalise_agency(a) == normalise_agency(b)


def same_area(a: str, b: str) -> bool:
    """Whether two strategic areas are the same: by code ("2.1") when both have one."""
    code_a, code_b = _AREA_CODE.match(a), _AREA_CODE.match(b)
    if code_a and code_b:
        return code_a.group(1) == code_b.group(1)
    return bool(normalise(a)) and normalise(a) == normalise(b)


def shares_stem(a: str, b: str) -> bool:
    """Whether a word of ``a`` and a word of ``b`` begin alike (STEM_LENGTH characters)."""
    return any(
        _prefix_length(x, y) >= STEM_LENGTH
        for x in normalise(a).split()
        for y in normalise(b).split()
    )


def _prefix_length(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` have in common from the start."""
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


@lru_cache(maxsize=65536)
def _ratio(a: str, b: str) -> float:
    """SequenceMatcher's ratio; cached, as the same words meet again and again."""
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _words_covered(words: Sequence[str], others: Sequence[str]) -> float:
    """How well ``words`` are found among ``others``: each word's best ratio, by length."""
    total = sum(len(w) for w in words)
    if total == 0:
        return 0.0
    found = sum(len(w) * max((_ratio(w, o) for o in others), default=0.0) for w in words)
    return found / total


def name_similarity(a: str, b: str) -> float:
    """Similarity of two names in 0..1 after normalising them (1.0: the same name)."""
    left, right = normalise(a), normalise(b)
    if left == right:
        return 1.0
    left_words, right_words = left.split(), right.split()
    whole = _ratio(left, right)
    sorted_words = _ratio(" ".join(sorted(left_words)), " ".join(sorted(right_words)))
    word_by_word = min(
        _words_covered(left_words, right_words), _words_covered(right_words, left_words)
    )
    return max(whole, sorted_words, word_by_word)
