"""The corona portfolio's words on the command line and in its files, and on the wire.

Each parser takes English or Norwegian bokmål in any case (``-`` or a space for ``_``) and
raises ValueError with a message for the user; used as a Typer ``parser``, that becomes a
usage error (exit 2). ``*_name`` turns a wire enum back into its English name (None for
UNSPECIFIED), as the JSON output shows it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import TypeAlias, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eportfolio.intake.v1 import intake_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.korona.v1 import korona_pb2  # type: ignore[import-untyped, unused-ignore]
from report_views.money import parse_mnok

T = TypeVar("T")
StateValue: TypeAlias = korona_pb2.ProposalState.ValueType
CriterionValue: TypeAlias = korona_pb2.Criterion.ValueType
RecommendationValue: TypeAlias = korona_pb2.Recommendation.ValueType
DecisionValue: TypeAlias = korona_pb2.Decision.ValueType
StatusValue: TypeAlias = korona_pb2.ImplementationStatus.ValueType
FundingValue: TypeAlias = korona_pb2.FundingChange.ValueType
OrganisationValue: TypeAlias = intake_pb2.OrganisationType.ValueType
OSLO = "Europe/Oslo"
_CODE = re.compile(r"^\d{2}[A-Z]?$")

STATES: dict[str, StateValue] = {
    "registered": korona_pb2.PROPOSAL_STATE_REGISTERED,
    "in_assessment": korona_pb2.PROPOSAL_STATE_IN_ASSESSMENT,
    "assessed": korona_pb2.PROPOSAL_STATE_ASSESSED,
    "prioritised": korona_pb2.PROPOSAL_STATE_PRIORITISED,
    "not_prioritised": korona_pb2.PROPOSAL_STATE_NOT_PRIORITISED,
    "deferred": korona_pb2.PROPOSAL_STATE_DEFERRED,
}
STATE_ALIASES = {
    "registrert": "registered",
    "til_vurdering": "in_assessment",
    "vurdert": "assessed",
    "prioritert": "prioritised",
    "prioritized": "prioritised",
    "ikke_prioritert": "not_prioritised",
    "not_prioritized": "not_prioritised",
    "utsatt": "deferred",
}
CRITERIA: dict[str, CriterionValue] = {
    "supports_covid_work": korona_pb2.CRITERION_SUPPORTS_COVID_WORK,
    "benefit_in_2020": korona_pb2.CRITERION_BENEFIT_IN_2020,
    "feasible": korona_pb2.CRITERION_FEASIBLE,
    "no_overlap": korona_pb2.CRITERION_NO_OVERLAP,
}
RECOMMENDATIONS: dict[str, RecommendationValue] = {
    "prioritise": korona_pb2.RECOMMENDATION_PRIORITISE,
    "not_prioritise": korona_pb2.RECOMMENDATION_NOT_PRIORITISE,
    "defer": korona_pb2.RECOMMENDATION_DEFER,
}
RECOMMENDATION_ALIASES = {
    "prioriter": "prioritise",
    "prioritize": "prioritise",
    "ikke_prioriter": "not_prioritise",
    "not_prioritize": "not_prioritise",
    "utsett": "defer",
}
DECISIONS: dict[str, DecisionValue] = {
    "prioritised": korona_pb2.DECISION_PRIORITISED,
    "not_prioritised": korona_pb2.DECISION_NOT_PRIORITISED,
    "deferred": korona_pb2.DECISION_DEFERRED,
}
DECISION_ALIASES = {
    "prioritert": "prioritised",
    "prioritized": "prioritised",
    "ikke_prioritert": "not_prioritised",
    "not_prioritized": "not_prioritised",
    "utsatt": "deferred",
}
IMPLEMENTATION_STATUSES: dict[str, StatusValue] = {
    "planned": korona_pb2.IMPLEMENTATION_STATUS_PLANNED,
    "being_introduced": korona_pb2.IMPLEMENTATION_STATUS_BEING_INTRODUCED,
    "introduced": korona_pb2.IMPLEMENTATION_STATUS_INTRODUCED,
    "in_operation": korona_pb2.IMPLEMENTATION_STATUS_IN_OPERATION,
}
IMPLEMENTATION_ALIASES = {
    "planlagt": "planned",
    "under_innføring": "being_introduced",
    "under_innforing": "being_introduced",
    "innført": "introduced",
    "innfort": "introduced",
    "i_drift": "in_operation",
}
FUNDING_CHANGES: dict[str, FundingValue] = {
    "allocate": korona_pb2.FUNDING_CHANGE_ALLOCATE,
    "release": korona_pb2.FUNDING_CHANGE_RELEASE,
    "commit": korona_pb2.FUNDING_CHANGE_COMMIT,
    "pay": korona_pb2.FUNDING_CHANGE_PAY,
}
FEEDBACK_KINDS = (
    "received",
    "prioritised",
    "not_prioritised",
    "deferred",
    "reopened",
    "covered",
    "message",
)
FEEDBACK_ALIASES = {
    "mottatt": "received",
    "prioritert": "prioritised",
    "ikke_prioritert": "not_prioritised",
    "utsatt": "deferred",
    "gjenåpnet": "reopened",
    "gjenapnet": "reopened",
    "dekket": "covered",
    "melding": "message",
}
FEEDBACK_NEEDS_TEXT = frozenset({"message", "covered"})
"""Feedback kinds that say nothing without ``--text``: the message, what covers the need."""
TARGET_GROUPS = ("citizens", "health_personnel", "authorities")
TARGET_GROUP_ALIASES = {
    "innbyggere": "citizens",
    "innbygger": "citizens",
    "helsepersonell": "health_personnel",
    "myndigheter": "authorities",
    "myndighet": "authorities",
}
ORGANISATION_TYPES: dict[str, OrganisationValue] = {
    "public": intake_pb2.ORGANISATION_TYPE_PUBLIC,
    "private": intake_pb2.ORGANISATION_TYPE_PRIVATE,
}
ORGANISATION_ALIASES = {"offentlig": "public", "privat": "private"}


def _key(text: str) -> str:
    return "_".join(text.strip().casefold().replace("-", " ").split())


def _norwegian(names: Mapping[str, object], aliases: Mapping[str, str]) -> list[str]:
    """The first Norwegian word for each name that has one (not the spellings without
    æ, ø, å, nor the American ones)."""
    found: dict[str, str] = {}
    for alias, name in aliases.items():
        if name in names and not alias.endswith(("ize", "ized")):
            found.setdefault(name, alias)
    return [found[name] for name in names if name in found]


def choose(text: str, names: Mapping[str, T], aliases: Mapping[str, str], what: str) -> T:
    """``names[text]`` by its English name or a Norwegian alias; ValueError naming the
    choices when it is neither."""
    key = _key(text)
    key = aliases.get(key, key)
    if key in names:
        return names[key]
    norwegian = _norwegian(names, aliases)
    also = f" (or {', '.join(norwegian)})" if norwegian else ""
    raise ValueError(f"unknown {what} {text.strip()!r}; use {', '.join(names)}{also}")


def canonical(text: str, names: Mapping[str, object], aliases: Mapping[str, str], what: str) -> str:
    """The English name ``text`` stands for (``under innføring`` -> ``being_introduced``)."""
    return choose(text, {name: name for name in names}, aliases, what)


def parse_state(text: str) -> StateValue:
    """A proposal state: registered, in_assessment, assessed, prioritised, not_prioritised,
    deferred (or registrert, til_vurdering, vurdert, prioritert, ikke_prioritert, utsatt)."""
    return choose(text, STATES, STATE_ALIASES, "state")


def parse_recommendation(text: str) -> RecommendationValue:
    """prioritise, not_prioritise or defer (prioriter, ikke_prioriter, utsett)."""
    return choose(text, RECOMMENDATIONS, RECOMMENDATION_ALIASES, "recommendation")


def parse_decision(text: str) -> DecisionValue:
    """prioritised, not_prioritised or deferred (prioritert, ikke_prioritert, utsatt)."""
    return choose(text, DECISIONS, DECISION_ALIASES, "decision")


def parse_implementation_status(text: str) -> StatusValue:
    """planned, being_introduced, introduced, in_operation (planlagt, under_innføring,
    innført, i_drift)."""
    return choose(text, IMPLEMENTATION_STATUSES, IMPLEMENTATION_ALIASES, "status")


def parse_feedback_kind(text: str) -> str:
    """A feedback template (received, ..., covered) or message."""
    return canonical(text, dict.fromkeys(FEEDBACK_KINDS), FEEDBACK_ALIASES, "feedback kind")


def parse_organisation_type(text: str) -> str:
    """public or private (offentlig, privat)."""
    return canonical(text, ORGANISATION_TYPES, ORGANISATION_ALIASES, "organisation type")


def parse_target_groups(text: str) -> tuple[str, ...]:
    """Comma-separated target groups, each once, in the order given; blank is none."""
    groups: list[str] = []
    for part in text.split(","):
        if not part.strip():
            continue
        group = canonical(part, dict.fromkeys(TARGET_GROUPS), TARGET_GROUP_ALIASES, "target group")
        if group not in groups:
            groups.append(group)
    return tuple(groups)


def parse_category_code(text: str) -> str:
    """A category code as in korona-categories (``03``, ``99A``); ``3`` is ``03``."""
    code = text.strip().upper()
    if code.isascii() and code.isdigit() and len(code) == 1:
        code = f"0{code}"
    if not _CODE.match(code):
        raise ValueError(
            f"{text.strip()!r} is not a category code (two digits and maybe a letter, e.g. 03"
            " or 99A; see `portfolio korona categories`)"
        )
    return code


def parse_amount(text: str) -> int:
    """An amount in million NOK ("1,5" or "1.5") as whole kroner, more than zero."""
    try:
        amount = parse_mnok(text)
    except ValueError as exc:
        raise ValueError(f"amount: {exc}") from None
    if amount is None:
        raise ValueError("give the amount in million NOK, e.g. 2,5")
    if amount == 0:
        raise ValueError("the amount must be more than zero")
    return amount


# --- Norwegian time ------------------------------------------------------------------


def oslo_zone() -> tzinfo | None:
    """Europe/Oslo from the time zone database; None when the machine has none."""
    try:
        return ZoneInfo(OSLO)
    except ZoneInfoNotFoundError:  # pragma: no cover - depends on the machine
        return None


_CET = timezone(timedelta(hours=1), "CET")
_CEST = timezone(timedelta(hours=2), "CEST")


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _summer_time(moment: datetime) -> bool:
    """Whether Norway keeps summer time at ``moment`` (EU rule, in force since 1980)."""
    start, end = _last_sunday(moment.year, 3), _last_sunday(moment.year, 10)
    return start <= moment.astimezone(UTC) < end


def _local_by_rule(naive: datetime) -> datetime | None:
    for zone, summer in ((_CEST, True), (_CET, False)):
        candidate = naive.replace(tzinfo=zone)
        if _summer_time(candidate) == summer:
            return candidate
    return None


def in_oslo(naive: datetime, zone: tzinfo | None = None) -> datetime:
    """A wall-clock time in Norway as an aware time; the earlier of a repeated hour.

    ValueError for a time that did not exist (the hour skipped when summer time begins).
    Without a time zone database the EU summer-time rule stands in.
    """
    zone = zone if zone is not None else oslo_zone()
    if zone is None:
        found = _local_by_rule(naive)
    else:
        found = naive.replace(tzinfo=zone, fold=0)
        back = found.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back != naive:
            found = None
    if found is None:
        raise ValueError(
            f"{naive:%Y-%m-%d %H:%M} did not exist in Norwegian time (summer time began);"
            " give the offset, e.g. +02:00"
        )
    return found


def to_oslo(moment: datetime) -> datetime:
    """An aware time as Norwegian time (for people)."""
    zone = oslo_zone()
    if zone is not None:
        return moment.astimezone(zone)
    return moment.astimezone(_CEST if _summer_time(moment) else _CET)  # pragma: no cover


def parse_moment(text: str) -> datetime:
    """An ISO 8601 time (``2020-04-02T10:15``, ``2020-04-02 10:15:00+02:00``,
    ``2020-04-02T08:15Z``, ``2020-04-02``); without an offset it is Norwegian time."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value[:40]!r} is not an ISO 8601 time (e.g. 2020-04-02T10:15 in Norwegian"
            " time, or 2020-04-02T08:15:00Z)"
        ) from None
    if moment.tzinfo is None:
        return in_oslo(moment)
    return moment


def parse_rfc3339(text: str) -> str:
    """``parse_moment`` as the RFC 3339 text a request carries (with its offset)."""
    return rfc3339(parse_moment(text))


def rfc3339(moment: datetime) -> str:
    """RFC 3339 in Norwegian time, to the second unless it has fractions."""
    local = to_oslo(moment)
    spec = "seconds" if local.microsecond == 0 else "microseconds"
    return local.isoformat(timespec=spec)


# --- enums back to names -------------------------------------------------------------


def _name_of(names: Mapping[str, int], value: int) -> str | None:
    if not value:
        return None
    for name, number in names.items():
        if number == value:
            return name
    return f"unknown_{int(value)}"


def state_name(value: int) -> str | None:
    """``registered`` ... ``deferred``; None when unspecified."""
    return _name_of(STATES, value)


def criterion_name(value: int) -> str | None:
    """``supports_covid_work`` ... ``no_overlap``."""
    return _name_of(CRITERIA, value)


def recommendation_name(value: int) -> str | None:
    """``prioritise``, ``not_prioritise``, ``defer``."""
    return _name_of(RECOMMENDATIONS, value)


def decision_name(value: int) -> str | None:
    """``prioritised``, ``not_prioritised``, ``deferred``."""
    return _name_of(DECISIONS, value)


def implementation_name(value: int) -> str | None:
    """``planned``, ``being_introduced``, ``introduced``, ``in_operation``."""
    return _name_of(IMPLEMENTATION_STATUSES, value)


def funding_change_name(value: int) -> str | None:
    """``allocate``, ``release``, ``commit``, ``pay``."""
    return _name_of(FUNDING_CHANGES, value)
