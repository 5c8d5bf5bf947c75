"""The checks every call passes before its handler runs, in this order:

1. **who** (:meth:`Gate.identify`): with tokens configured, only from verified credentials:
   the bearer token (``authorization`` metadata) and, over mutual TLS, the client
   certificate, whose agency must be the token's; ``x-agency``/``x-user``/``x-role`` are
   ignored. Without tokens (development, ``make run``) from that metadata, as before;
2. **how often** (:class:`~backbone.security.quotas.AgencyQuota`): RESOURCE_EXHAUSTED over
   the agency's quota;
3. **what** (:class:`~backbone.security.policy.AccessPolicy`): PERMISSION_DENIED for a
   method without a rule, a role the rule does not list, a token without the rule's scope;
4. **which fields**: INVALID_ARGUMENT for fields the request message does not define
   (e.g. a response's segment or decision sent back as a request): they would be dropped
   silently otherwise, and a client that sends them believes it set something the server
   owns.

Health checks and reflection skip all four (the interceptor does not call the gate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.unknown_fields import UnknownFieldSet
from google.rpc import code_pb2

from backbone.domain import EventMeta
from backbone.errors import FieldViolation, PermissionDeniedError, ValidationError
from backbone.security.policy import AccessPolicy, may_hold
from backbone.security.quotas import AgencyQuota
from backbone.security.tls import peer_agency
from backbone.security.tokens import TokenRefused, TokenVerifier


class Refusal(Exception):  # noqa: N818 - what the caller is told
    """A call refused before its handler: ``code`` (google.rpc.Code) and a safe message.

    ``meta`` is who the call can be attributed to from what was verified (the call log
    records it): the certificate's agency, or nobody."""

    def __init__(self, code: int, message: str, meta: EventMeta | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.meta = meta


@dataclass(frozen=True)
class Caller:
    """Who calls: the event metadata, and the token's scopes (None: no token, development)."""

    meta: EventMeta
    scopes: frozenset[str] | None = None


@dataclass
class Gate:
    """Identifies callers and admits their calls (see the module docstring)."""

    policy: AccessPolicy
    tokens: TokenVerifier | None = None
    quota: AgencyQuota | None = None

    def identify(self, context: Any, metadata: Mapping[str, str], correlation_id: str) -> Caller:
        """The caller of this call, or Refusal (UNAUTHENTICATED)."""
        if self.tokens is None:
            return Caller(
                EventMeta(
                    agency=metadata.get("x-agency", ""),
                    user=metadata.get("x-user", ""),
                    role=metadata.get("x-role", ""),
                    correlation_id=correlation_id,
                )
            )
        cert_agency = peer_agency(context)
        anonymous = EventMeta(agency=cert_agency or "", correlation_id=correlation_id)
        scheme, _, token = metadata.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refusal(
                code_pb2.UNAUTHENTICATED,
                "the call carries no access token (authorization: Bearer <token>)",
                anonymous,
            )
        try:
            verified = self.tokens.verify(token.strip())
        except TokenRefused as exc:
            code = code_pb2.RESOURCE_EXHAUSTED if exc.exhausted else code_pb2.UNAUTHENTICATED
            raise Refusal(code, exc.message, anonymous) from None
        if cert_agency is not None and cert_agency != verified.agency:
            raise Refusal(
                code_pb2.UNAUTHENTICATED,
                f"the token is for {verified.agency}, the client certificate for {cert_agency}",
                anonymous,
            )
        meta = EventMeta(
            agency=verified.agency,
            user=verified.user,
            role=verified.role,
            correlation_id=correlation_id,
        )
        if not may_hold(verified.agency, verified.role):
            raise Refusal(
                code_pb2.PERMISSION_DENIED,
                f"{verified.agency} may not act in the {verified.role} role",
                meta,
            )
        return Caller(meta, verified.scopes)

    def admit(self, full_method: str, caller: Caller, request: Any) -> None:
        """Refusal, PermissionDeniedError or ValidationError when the call may not go on."""
        meta = caller.meta
        if self.quota is not None and not self.quota.hit(meta.agency):
            raise Refusal(
                code_pb2.RESOURCE_EXHAUSTED,
                f"{meta.agency or 'this caller'} has used its quota "
                f"({self.quota.describe()}); retry later",
                meta,
            )
        method = full_method.rsplit("/", 1)[-1]
        rule = self.policy.rule(full_method)
        if rule is None:
            raise PermissionDeniedError(f"{method} has no access rule: nobody may call it")
        if not rule.allows(meta.role):
            raise PermissionDeniedError(f"{method} is not for the {meta.role or 'anonymous'} role")
        if caller.scopes is not None and rule.scope not in caller.scopes:
            raise PermissionDeniedError(f"{method} needs the scope {rule.scope}")
        if isinstance(request, Message):
            violations = unknown_fields(request)
            if violations:
                raise ValidationError(violations)


def _unknown(message: Message) -> Any:
    return UnknownFieldSet(message)  # iterable of (field_number, wire_type, data)


def unknown_fields(message: Message, path: str = "") -> list[FieldViolation]:
    """A violation for each field ``message`` (or a message inside it) carries that its
    type does not define, named by its path and field number."""
    found = [
        FieldViolation(
            f"{path}{number}",
            f"field number {number} is not part of {message.DESCRIPTOR.name}: "
            "the server sets it, or it belongs to another message",
        )
        for number in sorted({f.field_number for f in _unknown(message)})
    ]
    for fd, value in message.ListFields():
        if fd.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        name = f"{path}{fd.name}"
        entry: Any = fd.message_type
        if entry.GetOptions().map_entry:
            value_fd = entry.fields_by_name["value"]
            if value_fd.type == FieldDescriptor.TYPE_MESSAGE:
                for key, item in value.items():
                    found += unknown_fields(item, f"{name}[{key}].")
        elif fd.is_repeated:
            for i, item in enumerate(value):
                found += unknown_fields(item, f"{name}[{i}].")
        else:
            found += unknown_fields(value, f"{name}.")
    return found
