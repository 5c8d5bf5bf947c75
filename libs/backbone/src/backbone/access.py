"""Who may do what: roles from the caller's credentials, checked in the application layer.

Roles: ``office`` (the national portfolio office: decides), ``agency`` (reports on and
changes its own measures), ``auditor`` (reads only), ``proposer`` (corona proposals), and
``system`` (events caused by other services' messages). Anything not allowed is denied.
Pure Python: imports only the domain's context and errors.
"""

from __future__ import annotations

from backbone.domain import EventMeta, current_meta
from backbone.errors import PermissionDeniedError

OFFICE = "office"
AGENCY = "agency"
AUDITOR = "auditor"
OPERATIONS = "operations"
SYSTEM = "system"


def require_role(action: str, *roles: str) -> EventMeta:
    """The caller, if it acts in one of ``roles``; else PermissionDeniedError."""
    meta = current_meta()
    if meta.role not in roles:
        allowed = " or ".join(roles)
        raise PermissionDeniedError(
            f"{action} is for the {allowed} role; the caller is {meta.role or 'without a role'}"
        )
    return meta


def require_office_or_owner(action: str, owner_agency: str) -> EventMeta:
    """The office, or the agency that owns the thing (``owner_agency``)."""
    meta = current_meta()
    if meta.role == OFFICE:
        return meta
    if meta.role == AGENCY and meta.agency == owner_agency:
        return meta
    if meta.role == AGENCY:
        raise PermissionDeniedError(
            f"{action}: {meta.agency or 'the caller'} does not own this measure"
        )
    raise PermissionDeniedError(f"{action} is for the office or the owning agency")
