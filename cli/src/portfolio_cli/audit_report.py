"""What ``verify``, ``export-head`` and ``check-head`` print: a line per service (or per
held head) and each finding, in the words of the verification library (English, like the
CLI's error messages); ``--format json`` gives the same as data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit_log.heads import SignedTreeHead
from audit_log.verify import Finding
from portfolio_cli.audit_progress import grouped
from portfolio_cli.audit_verify import HeadCheck, ServiceVerdict

ROOT_DIGITS = 12


def _plural(count: int, one: str, many: str) -> str:
    return f"{grouped(count)} {one if count == 1 else many}"


def verdict_lines(result: ServiceVerdict, held: int = 0) -> list[str]:
    """``assessment: 40 events in 12 aggregates, log of 40 entries (root 3fa2c1d09b8e),
    310 calls: intact`` and each finding indented below."""
    if result.verdict is None:
        return [f"{result.service}: NOT CHECKED: {result.unchecked}"]
    v = result.verdict
    summary = (
        f"{_plural(v.events, 'event', 'events')} in "
        f"{_plural(v.aggregates, 'aggregate', 'aggregates')}, "
        f"log of {_plural(v.tree_size, 'entry', 'entries')} "
        f"(root {v.root_hash.hex()[:ROOT_DIGITS]}), {_plural(v.calls, 'call', 'calls')}"
    )
    if held:
        summary += f", against {_plural(held, 'held head', 'held heads')}"
    if v.ok:
        return [f"{result.service}: {summary}: intact"]
    lines = [
        f"{result.service}: {summary}: BROKEN ({_plural(len(v.findings), 'finding', 'findings')})"
    ]
    lines += [f"  {finding_line(f)}" for f in v.findings]
    return lines


def finding_line(finding: Finding) -> str:
    """``[altered] Measure 160 version 4: the stored event was altered (...)``."""
    return f"[{finding.kind.value}] {finding.message}"


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind.value,
        "aggregate_id": finding.aggregate_id or None,
        "version": finding.version,
        "label": finding.label or None,
        "message": finding.message,
    }


def head_json(signed: SignedTreeHead | None) -> dict[str, Any] | None:
    """A signed head as the head file holds it (hashes hex, key and signature base64)."""
    return dict(signed.to_dict()) if signed is not None else None


def verdict_json(results: Sequence[ServiceVerdict], held: int) -> dict[str, Any]:
    """Every service's verdict: ``ok`` only when all were checked and none is broken."""
    services: list[dict[str, Any]] = []
    for r in results:
        entry: dict[str, Any] = {"service": r.service, "checked": r.verdict is not None}
        if r.verdict is None:
            entry.update(ok=None, problem=r.unchecked)
        else:
            v = r.verdict
            entry.update(
                ok=v.ok,
                events=v.events,
                aggregates=v.aggregates,
                tree_size=v.tree_size,
                root_hash=v.root_hash.hex(),
                calls=v.calls,
                calls_head=v.calls_head.hex(),
                head=head_json(r.head),
                findings=[finding_json(f) for f in v.findings],
            )
        services.append(entry)
    ok = all(r.verdict is not None and r.verdict.ok for r in results)
    return {"ok": ok, "held_heads": held, "services": services}


def check_line(check: HeadCheck) -> str:
    """``assessment: consistent: 1 200 → 1 234 entries, 300 → 310 calls`` or what failed."""
    held = check.held.head
    when = f"head of {held.timestamp}"
    if check.unchecked:
        return f"{check.service}: NOT CHECKED ({when}): {check.unchecked}"
    if check.problems or check.current is None:
        return f"{check.service}: NOT CONSISTENT ({when}): " + "; ".join(check.problems)
    now = check.current.head
    return (
        f"{check.service}: consistent: {grouped(held.tree_size)} → {grouped(now.tree_size)} "
        f"entries, {grouped(held.calls_size)} → {grouped(now.calls_size)} calls "
        f"({when}, key {check.held.key_id})"
    )


def check_json(checks: Sequence[HeadCheck]) -> dict[str, Any]:
    return {
        "ok": all(c.ok for c in checks),
        "heads": [
            {
                "service": c.service,
                "checked": not c.unchecked,
                "consistent": None if c.unchecked else not c.problems,
                "held": head_json(c.held),
                "current": head_json(c.current),
                "problems": list(c.problems),
                "problem": c.unchecked or None,
            }
            for c in checks
        ],
    }


def export_lines(heads: Sequence[SignedTreeHead]) -> list[str]:
    """One line per head kept: its sizes, root and key."""
    return [
        f"{h.head.service}: {_plural(h.head.tree_size, 'entry', 'entries')}, "
        f"{_plural(h.head.calls_size, 'call', 'calls')}, root "
        f"{h.head.root_hash.hex()[:ROOT_DIGITS]}, key {h.key_id}, signed {h.head.timestamp}"
        for h in heads
    ]
