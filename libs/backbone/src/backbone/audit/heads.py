"""The service's signed tree heads and consistency proofs, and the key that signs them.

The Merkle tree's leaves are the log entries in leaf order (:mod:`audit_log.chain`). Each
head and each proof is computed from the entries as the store holds them at that moment,
never from a copy kept in memory: a proof must speak for the store, so a row changed
underneath the running service shows at once. A head also carries the call log's size and
last chain hash, so a held head pins both logs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from audit_log import chain, merkle
from audit_log.heads import HeadSigner, SignedTreeHead, TreeHead, utc_timestamp
from backbone.audit.calls import CallLog
from backbone.audit.recorders import AuditLogReader
from backbone.errors import FieldViolation, ValidationError
from backbone.settings import ServiceSettings

log = logging.getLogger(__name__)


def signer_for(settings: ServiceSettings, service: str) -> HeadSigner:
    """The key that signs this service's tree heads.

    ``audit_key_file`` names a PEM file (created on first start when missing). Without it
    a SQLite store keeps its key next to the database file; an in-memory store, or a
    PostgreSQL one without a configured file, gets a key for this process only (a warning
    says so: heads it signs cannot be checked after a restart).
    """
    if settings.audit_key_file:
        return HeadSigner.from_file(Path(settings.audit_key_file), create=True)
    if settings.database_url.startswith("sqlite:///"):
        database = Path(settings.database_url.removeprefix("sqlite:///"))
        return HeadSigner.from_file(database.with_name(f"{service}-audit-key.pem"), create=True)
    if settings.database_url.startswith("postgresql://"):
        log.warning(
            "%s: no audit key file configured (%s_AUDIT_KEY_FILE); tree heads are signed "
            "with a key that lives only as long as this process",
            service,
            service.upper(),
        )
    return HeadSigner.generate()


@dataclass(frozen=True)
class Proof:
    proof: list[bytes]
    head: SignedTreeHead
    calls_hash_at_first: bytes


class TreeHeads:
    """Signs heads over the service's log and call log, and proves consistency."""

    def __init__(
        self,
        service: str,
        log_reader: AuditLogReader | None,
        call_log: CallLog | None,
        signer: HeadSigner,
    ) -> None:
        self.service = service
        self.log_reader = log_reader
        self.call_log = call_log
        self.signer = signer

    def leaves(self) -> list[bytes]:
        """The leaf hashes of every entry in the log now, in leaf order."""
        if self.log_reader is None:
            return []
        return [
            merkle.leaf_hash(chain.leaf_data(row.aggregate_id, row.version, row.chain_hash))
            for row in self.log_reader.iter_log(5000)
        ]

    def current(self) -> SignedTreeHead:
        return self._sign(self.leaves(), self._calls_head())

    def _calls_head(self) -> tuple[int, bytes]:
        return self.call_log.head() if self.call_log is not None else (0, chain.GENESIS)

    def _sign(self, leaves: list[bytes], calls: tuple[int, bytes]) -> SignedTreeHead:
        calls_size, calls_head = calls
        head = TreeHead(
            service=self.service,
            tree_size=len(leaves),
            root_hash=merkle.root(leaves),
            calls_size=calls_size,
            calls_head=calls_head,
            timestamp=utc_timestamp(),
        )
        return self.signer.sign(head)

    def consistency(self, first: int, second: int, calls_first: int) -> Proof:
        """PROOF(first, D[second]) with the signed head of size ``second`` (0: now)."""
        leaves = self.leaves()
        size = len(leaves)
        violations = []
        if second not in (0, size):
            violations.append(
                FieldViolation(
                    "second", f"only the current tree ({size} entries, or 0) can be proven against"
                )
            )
        if not 0 <= first <= size:
            violations.append(
                FieldViolation(
                    "first",
                    f"the log holds {size} entries; a head of {first} cannot be part of it",
                )
            )
        calls = self._calls_head()
        calls_size = calls[0]
        if not 0 <= calls_first <= calls_size:
            violations.append(
                FieldViolation(
                    "calls_first",
                    f"the call log holds {calls_size} records; a head of {calls_first} "
                    "cannot be part of it",
                )
            )
        if violations:
            raise ValidationError(violations)
        at_first = chain.GENESIS
        if calls_first and self.call_log is not None:
            at_first = self.call_log.chain_hash_at(calls_first) or b""
        return Proof(
            proof=merkle.consistency_proof(leaves, first),
            head=self._sign(leaves, calls),
            calls_hash_at_first=at_first,
        )
