"""A corona proposals file like the directorate's, made deterministically for tests.

Seed 003 (slide 47): 337 proposals in 20 categories by 5 May 2020 at 09:00 Norwegian time
(``data/korona-categories-2020-05-05.tsv``). :func:`proposals_file` writes that many
proposals, spread over the categories exactly as the table says and received between
12 March 2020 00:00 and 5 May 2020 08:59 (Norwegian time), then ``late`` proposals
received after 09:00 that day, and three bad rows (a time that is not ISO 8601, an
unknown category, an unknown target group). The times are written in three ways
(Norwegian wall-clock time, UTC with ``Z``, an explicit offset), the organisation types
and target groups in English and Norwegian, so the file exercises what the importer
must understand.

The file is made without the CLI's parser, so a test can compare what the system
reports with figures computed here.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
CATEGORIES_FILE = "korona-categories-2020-05-05.tsv"
MOMENT = datetime(2020, 5, 5, 9, 0, tzinfo=OSLO)
"""The moment of the table: 5 May 2020 09:00 in Norway."""
FIRST = datetime(2020, 3, 12, 0, 0, tzinfo=OSLO)
LAST = datetime(2020, 5, 5, 8, 59, tzinfo=OSLO)
LATE_UNTIL = datetime(2020, 6, 30, 16, 0, tzinfo=OSLO)
COLUMNS = (
    "received_at",
    "proposer",
    "organisation",
    "organisation_type",
    "title",
    "description",
    "category_code",
    "target_groups",
    "contact",
    "need",
)
ORGANISATIONS = (
    ("Oslo kommune", "public"),
    ("Helse Bergen HF", "public"),
    ("Folkehelseinstituttet", "offentlig"),
    ("Trondheim kommune", "Public"),
    ("Eksempel Helseteknologi AS", "private"),
    ("Norsk Helsenett SF", "public"),
    ("Tenk Digital AS", "privat"),
    ("Sykehuset Innlandet HF", "public"),
    ("Fastlegekontoret i Nordby", "private"),
    ("", ""),
)
TARGET_GROUPS = (
    "citizens",
    "health_personnel",
    "authorities",
    "innbyggere,helsepersonell",
    "Helsepersonell, myndigheter",
    "citizens, authorities",
    "",
)
BAD_ROWS = (
    ("received_at", "5. mai 2020"),
    ("category_code", "100"),
    ("target_groups", "pasienter"),
)
"""Each bad row's bad column and what it says there; the rest of the row is good."""


@dataclass(frozen=True)
class Category:
    """One line of the categories table."""

    code: str
    name: str
    proposals: int


@dataclass
class ProposalFile:
    """What was written: the rows by line, and what a correct import makes of them."""

    categories: list[Category]
    rows: list[dict[str, str]] = field(default_factory=list)
    on_time: int = 0
    late: int = 0
    bad: dict[int, str] = field(default_factory=dict)
    """File line of each bad row -> the column that is wrong."""
    codes_by_line: dict[int, str] = field(default_factory=dict)

    @property
    def good(self) -> int:
        """Proposals a correct import takes."""
        return self.on_time + self.late

    def by_category(self) -> list[tuple[str, str, int]]:
        """(code, category name, proposals) as of the table's moment, in the table's order."""
        return [(c.code, c.name, c.proposals) for c in self.categories]

    def all_by_category(self) -> dict[str, int]:
        """Proposals per category code, the late ones included."""
        counts: dict[str, int] = {}
        for code in self.codes_by_line.values():
            counts[code] = counts.get(code, 0) + 1
        return counts


def categories(shared_dir: Path) -> list[Category]:
    """The 20 categories and their proposals on 5 May 2020 (337 in all)."""
    with (shared_dir / "data" / CATEGORIES_FILE).open(encoding="utf-8") as handle:
        return [
            Category(row["code"], row["category"], int(row["proposals_2020_05_05"]))
            for row in csv.DictReader(handle, delimiter="\t")
        ]


def _spread(first: datetime, last: datetime, count: int) -> list[datetime]:
    """``count`` moments from ``first`` to ``last``, both included, to the minute (down)."""
    if count == 1:
        return [first]
    span = last.astimezone(UTC) - first.astimezone(UTC)
    moments = []
    for i in range(count):
        moment = first.astimezone(UTC) + span * i / (count - 1)
        moments.append(moment.replace(second=0, microsecond=0))
    return moments


def _written(moment: datetime, n: int) -> str:
    """The time as a person might write it: Norwegian wall-clock time, UTC, an offset."""
    local = moment.astimezone(OSLO)
    if n % 5 == 0:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if n % 5 == 1:
        return local.isoformat(timespec="seconds")
    if n % 5 == 2:
        return local.strftime("%Y-%m-%d %H:%M")
    return local.strftime("%Y-%m-%dT%H:%M")


def _row(n: int, code: str, name: str, moment: datetime) -> dict[str, str]:
    organisation, kind = ORGANISATIONS[n % len(ORGANISATIONS)]
    return {
        "received_at": _written(moment, n),
        "proposer": f"Forslagsstiller {n}",
        "organisation": organisation,
        "organisation_type": kind,
        "title": f"{name}: forslag {n}",
        "description": f"Forslag nummer {n} om {name.lower()} (kategori {code}).",
        "category_code": code,
        "target_groups": TARGET_GROUPS[n % len(TARGET_GROUPS)],
        "contact": f"forslag{n}@example.no" if n % 3 else "",
        "need": f"Behov {n}" if n % 4 == 0 else "",
    }


def proposals_file(table: list[Category], late: int = 25, seed: int = 2020) -> ProposalFile:
    """The file's rows: the table's proposals in order of receipt, the late ones, and the
    bad rows among them (after the 40th, 200th and 350th good row)."""
    rng = random.Random(seed)
    codes = [c.code for c in table for _ in range(c.proposals)]
    rng.shuffle(codes)
    names = {c.code: c.name for c in table}
    on_time = _spread(FIRST, LAST, len(codes))
    late_times = _spread(MOMENT + timedelta(minutes=1), LATE_UNTIL, late)
    late_codes = [table[(i * 7) % len(table)].code for i in range(late)]
    good = [*zip(codes, on_time, strict=True), *zip(late_codes, late_times, strict=True)]
    made = ProposalFile(table, on_time=len(codes), late=late)
    bad_after = {40: 0, 200: 1, 350: 2}
    line = 1  # the header
    for n, (code, moment) in enumerate(good, start=1):
        line += 1
        made.rows.append(_row(n, code, names[code], moment))
        made.codes_by_line[line] = code
        if n in bad_after:
            column, value = BAD_ROWS[bad_after[n]]
            row = _row(10_000 + n, "03", names["03"], FIRST + timedelta(days=3))
            row[column] = value
            line += 1
            made.rows.append(row)
            made.bad[line] = column
    return made


def write_proposals(path: Path, shared_dir: Path, late: int = 25) -> ProposalFile:
    """Write :func:`proposals_file` for the shared categories table to ``path`` (UTF-8,
    tab-separated, header first)."""
    made = proposals_file(categories(shared_dir), late)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE
        )
        writer.writeheader()
        writer.writerows(made.rows)
    return made
