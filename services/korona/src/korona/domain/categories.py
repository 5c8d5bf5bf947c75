"""The proposal categories (the capability in the sector a proposal improves) and the
working group each category is routed to for assessment."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from backbone.errors import FieldViolation, ValidationError


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    working_group: str


class Categories:
    """The categories in use, by code; routing is part of the configuration."""

    def __init__(self, categories: list[Category]) -> None:
        if not categories:
            raise ValueError("no categories configured")
        self._by_code = {c.code: c for c in categories}
        if len(self._by_code) != len(categories):
            raise ValueError("a category code appears twice")

    @classmethod
    def from_tsv(cls, text: str) -> Categories:
        """Read ``code``, ``category`` and ``working_group`` columns (tab-separated)."""
        rows = csv.DictReader(io.StringIO(text), delimiter="\t")
        missing = {"code", "category", "working_group"} - set(rows.fieldnames or [])
        if missing:
            raise ValueError(f"the categories file lacks the columns {sorted(missing)}")
        return cls(
            [
                Category(r["code"].strip(), r["category"].strip(), r["working_group"].strip())
                for r in rows
                if r["code"] and r["code"].strip()
            ]
        )

    def __iter__(self) -> Iterator[Category]:
        return iter(sorted(self._by_code.values(), key=lambda c: c.code))

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    @property
    def working_groups(self) -> set[str]:
        return {c.working_group for c in self._by_code.values()}

    def get(self, code: str, field: str = "category_code") -> Category:
        """The category ``code``; ValidationError naming ``field`` when there is none."""
        category = self._by_code.get(code)
        if category is None:
            known = ", ".join(sorted(self._by_code))
            raise ValidationError(
                FieldViolation(field, f"unknown category {code[:20]!r}; use one of {known}")
            )
        return category

    def name_of(self, code: str) -> str:
        category = self._by_code.get(code)
        return category.name if category else ""
