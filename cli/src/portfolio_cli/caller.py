"""Who the CLI calls as: agency, user and role, sent as gRPC metadata on every call.

The servers decide what each role may do: ``office`` (the national portfolio office)
assesses, includes, rejects and moves; ``office`` or the owning ``agency`` completes,
pauses, withdraws and reports status; ``auditor`` only reads. In the corona portfolio
``working_group`` assesses proposals, ``proposer`` sees its own proposals and ``agency``
sets the implementation status of the net-list measures it is responsible for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from portfolio_cli.rpc import Metadata, header_value

OFFICE_AGENCY = "Direktoratet for e-helse"
CLI_USER = "portfolio-cli"


class Role(StrEnum):
    """The role a caller acts in (``x-role``)."""

    OFFICE = "office"
    AGENCY = "agency"
    AUDITOR = "auditor"
    WORKING_GROUP = "working_group"
    PROPOSER = "proposer"


def new_correlation_id() -> str:
    """A fresh id that ties together the calls of one command."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Caller:
    """An identity to call as; its correlation id groups the calls of one command."""

    agency: str
    role: Role
    user: str = CLI_USER
    correlation_id: str = field(default_factory=new_correlation_id)

    def metadata(self) -> Metadata:
        """``x-agency``, ``x-user``, ``x-role``, ``x-correlation-id`` (non-ASCII
        percent-encoded)."""
        return (
            ("x-agency", header_value(self.agency)),
            ("x-user", header_value(self.user)),
            ("x-role", self.role.value),
            ("x-correlation-id", header_value(self.correlation_id)),
        )

    def describe(self) -> str:
        """``office "Direktoratet for e-helse"`` for error messages."""
        return f'{self.role.value} "{self.agency}"'

    def acting_for(self, agency: str, role: Role = Role.AGENCY) -> Caller:
        """The same user and correlation id, as another agency and role."""
        return Caller(agency, role, self.user, self.correlation_id)


def office(correlation_id: str | None = None, user: str = CLI_USER) -> Caller:
    """The portfolio office (Direktoratet for e-helse, role office)."""
    return Caller(OFFICE_AGENCY, Role.OFFICE, user, correlation_id or new_correlation_id())
