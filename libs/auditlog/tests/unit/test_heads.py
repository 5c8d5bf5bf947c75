"""Signed tree heads: what is signed, how heads travel in files, and how keys are kept."""

from __future__ import annotations

import base64
import json
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit_log import chain
from audit_log.heads import (
    HEAD_FILE_FORMAT,
    HeadFileError,
    HeadSigner,
    SignedTreeHead,
    TreeHead,
    read_head_file,
    utc_timestamp,
    write_head_file,
)
from audit_log.merkle import leaf_hash, root

ROOT = root([leaf_hash(b"a"), leaf_hash(b"b")])
CALLS = chain.call_hash(None, {"seq": 1})


def _head(**changes: object) -> TreeHead:
    head = TreeHead(
        service="assessment",
        tree_size=2,
        root_hash=ROOT,
        calls_size=1,
        calls_head=CALLS,
        timestamp="2024-05-01T12:00:00Z",
    )
    return replace(head, **changes)  # type: ignore[arg-type]


def test_the_signed_bytes_are_one_line_per_field_after_a_context_line() -> None:
    assert _head().signing_bytes() == (
        b"eportfolio-audit-tree-head/1\n"
        b"assessment\n"
        b"2\n" + ROOT.hex().encode() + b"\n"
        b"1\n" + CALLS.hex().encode() + b"\n"
        b"2024-05-01T12:00:00Z\n"
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service": ""}, "service"),
        ({"service": "a\nb"}, "service"),
        ({"tree_size": -1}, "tree_size"),
        ({"calls_size": True}, "calls_size"),
        ({"root_hash": b"short"}, "root_hash"),
        ({"calls_head": ROOT.hex()}, "calls_head"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "2024-05-01T12:00:00"}, "timestamp"),
        ({"timestamp": "2024-05-01T12:00:00+02:00"}, "timestamp"),
        ({"timestamp": "2024-02-30T12:00:00Z"}, "timestamp"),
    ],
)
def test_a_head_that_cannot_be_signed_unambiguously_is_refused(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        _head(**changes)


def test_timestamps_are_rfc_3339_utc() -> None:
    moment = datetime(2024, 5, 1, 14, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    assert utc_timestamp(moment) == "2024-05-01T12:00:00.250000Z"
    assert utc_timestamp(datetime(2024, 5, 1, 12)) == "2024-05-01T12:00:00.000000Z"
    now = utc_timestamp()
    assert now.endswith("Z")
    _head(timestamp=now)  # accepted
    _head(timestamp="2024-05-01T12:00:00.123+00:00")  # accepted too
    assert abs(datetime.fromisoformat(now) - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_signed_head_verifies_and_any_change_breaks_it() -> None:
    signer = HeadSigner.generate()
    signed = signer.sign(_head())
    assert signed.verify()
    assert signed.public_key == signer.public_key
    assert len(signed.public_key) == 32
    assert len(signed.signature) == 64
    for changes in (
        {"service": "korona"},
        {"tree_size": 3},
        {"root_hash": CALLS},
        {"calls_size": 2},
        {"calls_head": ROOT},
        {"timestamp": "2024-05-01T12:00:01Z"},
    ):
        assert not replace(signed, head=_head(**changes)).verify(), changes
    other = HeadSigner.generate()
    assert not replace(signed, public_key=other.public_key).verify()
    assert not replace(signed, signature=bytes(64)).verify()


def test_a_malformed_key_or_signature_does_not_verify_and_does_not_raise() -> None:
    signed = HeadSigner.generate().sign(_head())
    assert not replace(signed, public_key=b"short").verify()
    assert not replace(signed, signature=b"short").verify()
    assert not replace(signed, public_key=b"").verify()


def test_the_key_id_is_a_fingerprint_of_the_public_key() -> None:
    signer = HeadSigner.generate()
    signed = signer.sign(_head())
    assert len(signed.key_id) == 16
    assert signed.key_id == signer.sign(_head(tree_size=5)).key_id
    assert signed.key_id != HeadSigner.generate().sign(_head()).key_id


def test_a_head_round_trips_through_a_dict() -> None:
    signed = HeadSigner.generate().sign(_head())
    data = signed.to_dict()
    assert data == {
        "service": "assessment",
        "tree_size": 2,
        "root_hash": ROOT.hex(),
        "calls_size": 1,
        "calls_head": CALLS.hex(),
        "timestamp": "2024-05-01T12:00:00Z",
        "key_id": signed.key_id,
        "public_key": base64.b64encode(signed.public_key).decode(),
        "signature": base64.b64encode(signed.signature).decode(),
    }
    json.dumps(data)
    again = SignedTreeHead.from_dict(json.loads(json.dumps(data)))
    assert again == signed
    assert again.verify()


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("root_hash", "xyz", "root_hash: not hex"),
        ("root_hash", "abcd", "root_hash: 2 bytes, expected 32"),
        ("calls_head", 5, "calls_head: not hex"),
        ("tree_size", "2", "tree_size: not a whole number"),
        ("tree_size", -2, "tree_size: not a whole number"),
        ("calls_size", 1.5, "calls_size: not a whole number"),
        ("service", "", "service: not a non-empty string"),
        ("timestamp", "2024-05-01", "timestamp: not an RFC 3339 timestamp"),
        ("public_key", "***", "public_key: not base64"),
        ("public_key", base64.b64encode(b"x" * 31).decode(), "public_key: 31 bytes, expected 32"),
        ("signature", base64.b64encode(b"x" * 63).decode(), "signature: 63 bytes, expected 64"),
        ("key_id", "0123456789abcdef", "key_id: "),
        ("service", None, "service: missing"),
    ],
)
def test_a_malformed_head_names_the_bad_field(field: str, value: object, problem: str) -> None:
    data = HeadSigner.generate().sign(_head()).to_dict()
    if value is None:
        del data[field]
    else:
        data[field] = value
    with pytest.raises(HeadFileError) as caught:
        SignedTreeHead.from_dict(data)
    assert caught.value.message.startswith(problem)
    assert str(caught.value) == caught.value.message


def test_the_key_id_may_be_left_out() -> None:
    signed = HeadSigner.generate().sign(_head())
    data = signed.to_dict()
    del data["key_id"]
    assert SignedTreeHead.from_dict(data) == signed


def test_a_head_file_round_trips(tmp_path: Path) -> None:
    signer = HeadSigner.generate()
    heads = [signer.sign(_head(tree_size=2)), signer.sign(_head(service="korona", tree_size=0))]
    path = tmp_path / "out" / "heads.json"
    write_head_file(path, heads, exported_at="2024-05-02T08:00:00Z")
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["format"] == HEAD_FILE_FORMAT == "eportfolio-audit-heads/1"
    assert document["exported_at"] == "2024-05-02T08:00:00Z"
    assert document["heads"] == [head.to_dict() for head in heads]
    assert text.startswith("{\n  ")  # pretty, for people who read it
    assert text.endswith("}\n")
    assert read_head_file(path) == heads
    assert [p.name for p in path.parent.iterdir()] == ["heads.json"]  # no temporary left


def test_a_head_file_keeps_non_ascii_service_names(tmp_path: Path) -> None:
    head = HeadSigner.generate().sign(_head(service="vurdering-ø"))
    path = tmp_path / "heads.json"
    write_head_file(path, [head], exported_at="2024-05-02T08:00:00Z")
    assert "vurdering-ø" in path.read_text(encoding="utf-8")
    assert read_head_file(path) == [head]


def test_unreadable_head_files_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "heads.json"
    with pytest.raises(HeadFileError, match="does not exist"):
        read_head_file(path)
    path.write_bytes(b"\xff\xfe not json")
    with pytest.raises(HeadFileError, match="is not JSON"):
        read_head_file(path)
    path.write_text("{nope", encoding="utf-8")
    with pytest.raises(HeadFileError, match="is not JSON"):
        read_head_file(path)
    path.write_text(json.dumps({"format": "something/1", "heads": []}), encoding="utf-8")
    with pytest.raises(HeadFileError, match="not in the eportfolio-audit-heads/1 format"):
        read_head_file(path)
    path.write_text(json.dumps([1, 2]), encoding="utf-8")
    with pytest.raises(HeadFileError, match="format"):
        read_head_file(path)
    path.write_text(json.dumps({"format": HEAD_FILE_FORMAT, "heads": {}}), encoding="utf-8")
    with pytest.raises(HeadFileError, match="heads: not a list"):
        read_head_file(path)


def test_a_bad_head_in_a_file_is_named_by_its_position(tmp_path: Path) -> None:
    signer = HeadSigner.generate()
    path = tmp_path / "heads.json"
    write_head_file(path, [signer.sign(_head()), signer.sign(_head())], exported_at="x")
    document = json.loads(path.read_text(encoding="utf-8"))
    document["heads"][1]["root_hash"] = "not hex at all"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(HeadFileError) as caught:
        read_head_file(path)
    assert "heads[1].root_hash: not hex" in caught.value.message
    assert str(path) in caught.value.message
    document["heads"][1] = "a string"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(HeadFileError, match=r"heads\[1\]: not a JSON object"):
        read_head_file(path)


def test_a_forged_head_in_a_file_reads_but_does_not_verify(tmp_path: Path) -> None:
    path = tmp_path / "heads.json"
    write_head_file(path, [HeadSigner.generate().sign(_head())], exported_at="x")
    document = json.loads(path.read_text(encoding="utf-8"))
    document["heads"][0]["tree_size"] = 1_000
    path.write_text(json.dumps(document), encoding="utf-8")
    (head,) = read_head_file(path)
    assert head.head.tree_size == 1_000
    assert not head.verify()


# -- keys ------------------------------------------------------------------------------


def test_a_missing_key_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "service" / "head.pem"
    signer = HeadSigner.from_file(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = HeadSigner.from_file(path)
    assert again.public_key == signer.public_key
    assert HeadSigner.from_file(path, create=True).public_key == signer.public_key
    assert again.sign(_head()).verify()


def test_a_missing_key_without_create_is_an_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "head.pem"
    with pytest.raises(HeadFileError) as caught:
        HeadSigner.from_file(path)
    assert str(path) in caught.value.message
    assert "does not exist" in caught.value.message
    assert not path.exists()


def test_an_invalid_key_file_is_an_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "head.pem"
    path.write_text("not a key", encoding="utf-8")
    with pytest.raises(HeadFileError) as caught:
        HeadSigner.from_file(path, create=True)
    assert str(path) in caught.value.message
    assert path.read_text(encoding="utf-8") == "not a key"  # never overwritten

    other = generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(other)
    with pytest.raises(HeadFileError, match="not an Ed25519 key"):
        HeadSigner.from_file(path)

    encrypted = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    path.write_bytes(encrypted)
    with pytest.raises(HeadFileError, match="not an unencrypted PEM private key"):
        HeadSigner.from_file(path)


def test_an_unreadable_key_file_is_an_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "head.pem"
    path.mkdir()  # unreadable as a file, even for root
    for create in (False, True):
        with pytest.raises(HeadFileError) as caught:
            HeadSigner.from_file(path, create=create)
        assert "cannot be read" in caught.value.message
        assert str(path) in caught.value.message
