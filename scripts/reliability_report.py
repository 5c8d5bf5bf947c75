"""Write the last run's measurements into docs/reliability.md.

Reads the JSON lines that the RELIABILITY.md tests append (tests/faults/results.py),
keeps the newest record of each (row, test, scale), and replaces the table between the
``<!-- results:start -->`` and ``<!-- results:end -->`` markers of docs/reliability.md.
Run by ``make test-faults``; ``python scripts/reliability_report.py [RESULTS]`` by hand.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "reliability.md"
DEFAULT = REPO / "var" / "reliability" / "results.jsonl"
START, END = "<!-- results:start -->", "<!-- results:end -->"
FIXED = ("row", "test", "scale", "at")


def _order(row: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", row)
    return (match.group(1), int(match.group(2))) if match else (row, 0)


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table(lines: list[dict[str, object]]) -> str:
    latest: dict[tuple[str, str, str], dict[str, object]] = {}
    for line in lines:
        key = (str(line.get("row")), str(line.get("test")), str(line.get("scale")))
        if key not in latest or str(line.get("at")) >= str(latest[key].get("at")):
            latest[key] = line
    out = ["| row | test | size | when (UTC) | measured |", "|---|---|---|---|---|"]
    for (row, test, scale), line in sorted(
        latest.items(), key=lambda i: (_order(i[0][0]), i[0][1:])
    ):
        figures = ", ".join(
            f"{k.replace('_', ' ')} {_value(v)}" for k, v in line.items() if k not in FIXED
        )
        out.append(f"| {row} | `{test}` | {scale} | {line.get('at')} | {figures} |")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT
    if not source.exists():
        print(f"no results in {source}: run make test or make test-faults first", file=sys.stderr)
        return 1
    lines = [json.loads(x) for x in source.read_text(encoding="utf-8").splitlines() if x.strip()]
    doc = DOC.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        print(f"{DOC} has no {START} … {END} markers", file=sys.stderr)
        return 1
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{table(lines)}\n{END}{tail}", encoding="utf-8")
    print(f"{DOC.relative_to(REPO)}: {len(lines)} records from {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
