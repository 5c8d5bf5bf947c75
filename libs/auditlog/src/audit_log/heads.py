"""Signed tree heads: a service's statement "my log held this many events with this root,
and my call log this many records with this head, at this time", signed with Ed25519.

An auditor who keeps an exported head can later prove that the log was rewritten, even if
the rewrite was consistent throughout the store: the old root no longer matches the log's
first ``tree_size`` leaves (:mod:`audit_log.verify`). The signature lets the head travel
through untrusted hands (files, e-mail) and still be attributed to the service's key.

The head file (``eportfolio-audit-heads/1``) is plain JSON, so auditors can read it
without this library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "HEAD_FILE_FORMAT",
    "HeadFileError",
    "HeadSigner",
    "SignedTreeHead",
    "TreeHead",
    "read_head_file",
    "utc_timestamp",
    "write_head_file",
]

HEAD_FILE_FORMAT = "eportfolio-audit-heads/1"
_SIGNING_CONTEXT = b"eportfolio-audit-tree-head/1\n"
_HASH_SIZE = 32
_KEY_SIZE = 32
_SIGNATURE_SIZE = 64


class HeadFileError(Exception):
    """A head, head file or signing key that cannot be used; :attr:`message` says why in
    a sentence fit to show an auditor."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def utc_timestamp(moment: datetime | None = None) -> str:
    """An RFC 3339 UTC timestamp (``2024-05-01T12:00:00.000000Z``) for a head: now, or
    ``moment`` (naive means UTC). Fixed width, so heads sort by their timestamp text."""
    moment = datetime.now(UTC) if moment is None else moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})"
)


def _timestamp_problem(value: str) -> str | None:
    """Why ``value`` is not an RFC 3339 UTC timestamp, or ``None`` when it is."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        return "not an RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)"
    try:
        datetime.strptime(f"{match[1]} {match[2]}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return "not a valid date and time"
    if match["zone"] not in ("Z", "z", "+00:00", "-00:00"):
        return "not in UTC (expected Z or +00:00)"
    return None


@dataclass(frozen=True)
class TreeHead:
    """What a service states about its logs at one moment (unsigned)."""

    service: str
    tree_size: int
    root_hash: bytes
    calls_size: int
    calls_head: bytes
    timestamp: str
    """RFC 3339, UTC (see :func:`utc_timestamp`)."""

    def __post_init__(self) -> None:
        # Reject at construction what could not be signed unambiguously: one value per
        # line means no value may hold a newline, and hashes have one size.
        problems = _head_problems(self)
        if problems:
            field, problem = problems[0]
            raise ValueError(f"{field}: {problem}")

    def signing_bytes(self) -> bytes:
        """The exact bytes signed: a context line, then one line per field (hashes in hex),
        so a signature for this purpose can never be replayed as another's."""
        lines = (
            self.service,
            str(self.tree_size),
            self.root_hash.hex(),
            str(self.calls_size),
            self.calls_head.hex(),
            self.timestamp,
        )
        return _SIGNING_CONTEXT + "".join(f"{line}\n" for line in lines).encode()


def _head_problems(head: TreeHead) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not isinstance(head.service, str) or not head.service or "\n" in head.service:
        problems.append(("service", "must be a non-empty single-line name"))
    for name in ("tree_size", "calls_size"):
        value = getattr(head, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append((name, "must be a whole number, 0 or more"))
    for name in ("root_hash", "calls_head"):
        value = getattr(head, name)
        if not isinstance(value, bytes) or len(value) != _HASH_SIZE:
            problems.append((name, f"must be a {_HASH_SIZE}-byte hash"))
    if not isinstance(head.timestamp, str):
        problems.append(("timestamp", "not an RFC 3339 timestamp"))
    else:
        problem = _timestamp_problem(head.timestamp)
        if problem:
            problems.append(("timestamp", problem))
    return problems


@dataclass(frozen=True)
class SignedTreeHead:
    """A tree head with its Ed25519 signature and the raw public key that made it.

    :meth:`verify` proves only that the holder of *that* key signed the head; whether the
    key is the service's is for the auditor to decide (compare :attr:`key_id` with the one
    on record, or with earlier heads').
    """

    head: TreeHead
    public_key: bytes
    """Raw 32-byte Ed25519 public key."""
    signature: bytes

    @property
    def key_id(self) -> str:
        """A short fingerprint of the public key: the first 16 hex digits of its SHA-256."""
        return hashlib.sha256(self.public_key).hexdigest()[:16]

    def verify(self) -> bool:
        """Whether the signature is valid for the head under :attr:`public_key`; ``False``
        (never an exception) for a malformed key or signature."""
        try:
            key = Ed25519PublicKey.from_public_bytes(self.public_key)
            key.verify(self.signature, self.head.signing_bytes())
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    def to_dict(self) -> dict[str, object]:
        """The head as JSON-able values: hashes in hex, key and signature in base64."""
        head = self.head
        return {
            "service": head.service,
            "tree_size": head.tree_size,
            "root_hash": head.root_hash.hex(),
            "calls_size": head.calls_size,
            "calls_head": head.calls_head.hex(),
            "timestamp": head.timestamp,
            "key_id": self.key_id,
            "public_key": base64.b64encode(self.public_key).decode(),
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SignedTreeHead:
        """Read a head written by :meth:`to_dict`. Checks form, not the signature.

        Raises :class:`HeadFileError` naming the first bad field (``"root_hash: not hex"``).
        """
        if not isinstance(data, Mapping):
            raise HeadFileError("not a JSON object")
        service = _text(data, "service")
        tree_size = _count(data, "tree_size")
        root_hash = _hex_hash(data, "root_hash")
        calls_size = _count(data, "calls_size")
        calls_head = _hex_hash(data, "calls_head")
        timestamp = _text(data, "timestamp")
        problem = _timestamp_problem(timestamp)
        if problem:
            raise HeadFileError(f"timestamp: {problem}")
        public_key = _base64(data, "public_key", _KEY_SIZE)
        signature = _base64(data, "signature", _SIGNATURE_SIZE)
        try:
            head = TreeHead(service, tree_size, root_hash, calls_size, calls_head, timestamp)
        except ValueError as error:
            raise HeadFileError(str(error)) from None
        signed = cls(head=head, public_key=public_key, signature=signature)
        key_id = data.get("key_id")
        if key_id is not None and key_id != signed.key_id:
            raise HeadFileError(f"key_id: {key_id!r} is not the fingerprint of public_key")
        return signed


def _field(data: Mapping[str, object], name: str) -> object:
    if name not in data:
        raise HeadFileError(f"{name}: missing")
    return data[name]


def _text(data: Mapping[str, object], name: str) -> str:
    value = _field(data, name)
    if not isinstance(value, str) or not value:
        raise HeadFileError(f"{name}: not a non-empty string")
    if "\n" in value:
        raise HeadFileError(f"{name}: holds a line break")
    return value


def _count(data: Mapping[str, object], name: str) -> int:
    value = _field(data, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HeadFileError(f"{name}: not a whole number, 0 or more")
    return value


def _hex_hash(data: Mapping[str, object], name: str) -> bytes:
    value = _field(data, name)
    if not isinstance(value, str):
        raise HeadFileError(f"{name}: not hex")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise HeadFileError(f"{name}: not hex") from None
    if len(raw) != _HASH_SIZE:
        raise HeadFileError(f"{name}: {len(raw)} bytes, expected {_HASH_SIZE}")
    return raw


def _base64(data: Mapping[str, object], name: str, size: int) -> bytes:
    value = _field(data, name)
    if not isinstance(value, str):
        raise HeadFileError(f"{name}: not base64")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise HeadFileError(f"{name}: not base64") from None
    if len(raw) != size:
        raise HeadFileError(f"{name}: {len(raw)} bytes, expected {size}")
    return raw


class HeadSigner:
    """Signs a service's tree heads with its Ed25519 key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._public_key = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @classmethod
    def generate(cls) -> HeadSigner:
        """A signer with a fresh key (tests, first start)."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_file(cls, path: Path, *, create: bool = False) -> HeadSigner:
        """Load the key from an unencrypted PKCS#8 PEM file.

        With ``create``, a missing file is made with a fresh key, readable by its owner
        only (mode 0600, parent directories created), so a service can start the first
        time without a manual step. Raises :class:`HeadFileError` naming the path when the
        file is missing (without ``create``), unreadable, or not an Ed25519 key.
        """
        path = Path(path)
        try:
            pem = path.read_bytes()
        except FileNotFoundError:
            if not create:
                raise HeadFileError(f"The head signing key {path} does not exist.") from None
            return cls._create(path)
        except OSError as error:
            raise HeadFileError(
                f"The head signing key {path} cannot be read: {error.strerror or error}."
            ) from None
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError):
            raise HeadFileError(
                f"The head signing key {path} is not an unencrypted PEM private key."
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise HeadFileError(f"The head signing key {path} is not an Ed25519 key.")
        return cls(key)

    @classmethod
    def _create(cls, path: Path) -> HeadSigner:
        signer = cls.generate()
        pem = signer._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: never overwrite a key another process created meanwhile; the mode is
            # set at creation, so the key is never readable by others, not even briefly.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls.from_file(path)
        except OSError as error:
            raise HeadFileError(
                f"The head signing key {path} cannot be created: {error.strerror or error}."
            ) from None
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        return signer

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self._public_key

    def sign(self, head: TreeHead) -> SignedTreeHead:
        """Sign ``head`` (its :meth:`TreeHead.signing_bytes`)."""
        signature = self._key.sign(head.signing_bytes())
        return SignedTreeHead(head=head, public_key=self._public_key, signature=signature)


def write_head_file(path: Path, heads: Sequence[SignedTreeHead], *, exported_at: str) -> None:
    """Write heads to a head file (pretty JSON, UTF-8), replacing it atomically so a crash
    never leaves an auditor with half a file."""
    path = Path(path)
    document = {
        "format": HEAD_FILE_FORMAT,
        "exported_at": exported_at,
        "heads": [head.to_dict() for head in heads],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_head_file(path: Path) -> list[SignedTreeHead]:
    """Read a head file. Checks form, not signatures (:meth:`SignedTreeHead.verify`).

    Raises :class:`HeadFileError` for a missing or unreadable file, one that is not JSON or
    not a head file, or a malformed head (naming it: ``heads[1].root_hash: not hex``).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise HeadFileError(f"The head file {path} does not exist.") from None
    except OSError as error:
        raise HeadFileError(
            f"The head file {path} cannot be read: {error.strerror or error}."
        ) from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HeadFileError(f"The head file {path} is not JSON.") from None
    if not isinstance(document, dict) or document.get("format") != HEAD_FILE_FORMAT:
        raise HeadFileError(f"The head file {path} is not in the {HEAD_FILE_FORMAT} format.")
    entries = document.get("heads")
    if not isinstance(entries, list):
        raise HeadFileError(f"The head file {path} is malformed: heads: not a list.")
    heads: list[SignedTreeHead] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise HeadFileError(
                f"The head file {path} is malformed: heads[{index}]: not a JSON object."
            )
        try:
            heads.append(SignedTreeHead.from_dict(entry))
        except HeadFileError as error:
            raise HeadFileError(
                f"The head file {path} is malformed: heads[{index}].{error.message}."
            ) from None
    return heads
