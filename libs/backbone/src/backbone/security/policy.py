"""Who may call what: a table per service of full method -> roles and scope, deny by default.

Each service declares its table in ``<service>/adapters/policy.py`` with :func:`rules_for`;
the interceptor refuses (PERMISSION_DENIED) any call to a method without an entry, and any
caller whose role the entry does not list, before the handler runs. The application's own
checks (ownership: "the owning agency", "the proposer's own proposal") stay where they are:
the table says which roles may try, the application says on which objects.

Which roles an agency may hold (:data:`AGENCY_ROLES`) is checked when identity comes from
verified credentials: a token may not make Helsedirektoratet the portfolio office.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from google.protobuf.descriptor import ServiceDescriptor

from eportfolio.audit.v1 import audit_pb2
from eportfolio.operations.v1 import operations_pb2

ANYONE = "*"
"""In a rule's roles: any caller (reports and lookups that are public). With tokens the
caller must still be authenticated and hold the scope; in development, even without a role."""

READ = "read"
WRITE = "write"


@dataclass(frozen=True)
class Rule:
    """Who may call one method: the roles, and the token scope it needs."""

    roles: frozenset[str]
    scope: str

    def allows(self, role: str) -> bool:
        return ANYONE in self.roles or (role != "" and role in self.roles)


class AccessPolicy:
    """Full method name (``package.Service/Method``) -> :class:`Rule`; anything absent is
    denied."""

    def __init__(self, rules: Mapping[str, Rule] | None = None) -> None:
        self._rules = dict(rules or {})

    def rule(self, full_method: str) -> Rule | None:
        return self._rules.get(full_method)

    def __or__(self, other: AccessPolicy) -> AccessPolicy:
        clash = self._rules.keys() & other._rules.keys()
        if clash:
            raise ValueError(f"methods with two rules: {sorted(clash)}")
        return AccessPolicy({**self._rules, **other._rules})

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)


def rules_for(
    service: ServiceDescriptor,
    scope_prefix: str,
    *,
    read: Mapping[str, Iterable[str]],
    write: Mapping[str, Iterable[str]],
) -> AccessPolicy:
    """The rules of one gRPC service: ``read`` and ``write`` map method names to roles; a
    read needs scope ``<scope_prefix>.read``, a write ``<scope_prefix>.write``.

    Names are checked against the service's descriptor, so a typo fails at import rather
    than denying a real method; a method left out of both is denied (on purpose or not:
    ``tests/security`` checks that every method of the four services has a rule).
    """
    known = {m.name for m in service.methods}
    rules: dict[str, Rule] = {}
    for kind, table in ((READ, read), (WRITE, write)):
        for method, roles in table.items():
            if method not in known:
                raise ValueError(f"{service.full_name} has no method {method}")
            if method in rules:
                raise ValueError(f"{service.full_name}/{method} is both a read and a write")
            allowed = frozenset(roles)
            if not allowed:
                raise ValueError(f"{service.full_name}/{method} allows no role")
            rules[f"{service.full_name}/{method}"] = Rule(allowed, f"{scope_prefix}.{kind}")
    return AccessPolicy(rules)


# --- roles -----------------------------------------------------------------------------------

OFFICE = "office"
AGENCY = "agency"
AUDITOR = "auditor"
OPERATIONS = "operations"
WORKING_GROUP = "working_group"
PROPOSER = "proposer"

AUDIT_SCOPE = "eportfolio:audit"


def audit_policy() -> AccessPolicy:
    """The AuditService every service serves: auditors only, scope ``eportfolio:audit``."""
    service = audit_pb2.DESCRIPTOR.services_by_name["AuditService"]
    return AccessPolicy(
        {
            f"{service.full_name}/{m.name}": Rule(frozenset({AUDITOR}), AUDIT_SCOPE)
            for m in service.methods
        }
    )


OPERATIONS_SCOPE = "eportfolio:operations"


def operations_policy() -> AccessPolicy:
    """The OperationsService (dead letters, replays) every consuming service serves:
    operations and the office, scope ``eportfolio:operations``."""
    service = operations_pb2.DESCRIPTOR.services_by_name["OperationsService"]
    operators = Rule(frozenset({OPERATIONS, OFFICE}), OPERATIONS_SCOPE)
    return AccessPolicy({f"{service.full_name}/{m.name}": operators for m in service.methods})


def shared_policy() -> AccessPolicy:
    """The rules of the services every service serves beside its own (audit, operations)."""
    return audit_policy() | operations_policy()


# --- agencies --------------------------------------------------------------------------------

OFFICE_AGENCY = "Direktoratet for e-helse"
REGIONAL_HEALTH_AUTHORITIES = (
    "Helse Sør-Øst RHF",
    "Helse Vest RHF",
    "Helse Midt-Norge RHF",
    "Helse Nord RHF",
)

AGENCY_ROLES: Mapping[str, frozenset[str]] = {
    # The portfolio office sits in the directorate, which also owns measures, takes part
    # in the corona working groups and runs the system.
    OFFICE_AGENCY: frozenset({OFFICE, AGENCY, WORKING_GROUP, OPERATIONS, PROPOSER}),
    "Helsedirektoratet": frozenset({AGENCY, WORKING_GROUP, PROPOSER}),
    "Folkehelseinstituttet": frozenset({AGENCY, WORKING_GROUP, PROPOSER}),
    "Norsk Helsenett": frozenset({AGENCY, WORKING_GROUP, OPERATIONS, PROPOSER}),
    "KS": frozenset({AGENCY, PROPOSER}),
    **{rhf: frozenset({AGENCY, PROPOSER}) for rhf in REGIONAL_HEALTH_AUTHORITIES},
    "Oslo kommune": frozenset({AGENCY, PROPOSER}),
    "Akson journal AS": frozenset({AGENCY, PROPOSER}),
    "Riksrevisjonen": frozenset({AUDITOR}),
}
"""Which roles each agency's credentials may claim (seed documents, ../shared/DOMAIN.md).
An agency not listed may claim none: it gets no certificate from the CA either."""


def may_hold(agency: str, role: str) -> bool:
    return role in AGENCY_ROLES.get(agency, frozenset())
