"""Hypothesis strategies built from the contracts themselves, so new fields are fuzzed too.

- :func:`message` walks a protobuf descriptor: every scalar at and around its limits,
  strings of any Unicode (NUL, right-to-left marks, emoji, combining marks...), open enums
  with unknown numbers, repeated fields, nested messages, maps and oneofs.
- :func:`model` walks a pydantic model's fields (their annotations and constraints:
  ``ge``/``gt``/``le``, ``pattern``, ``Literal``, optional, lists, nested models).

Strings exclude lone surrogates (category Cs): protobuf refuses them when a message is
built and no JSON payload can carry them, so they never reach the code under test.
"""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, get_args, get_origin

import annotated_types
from google.protobuf import descriptor as d
from google.protobuf import message as pb_message
from google.protobuf import message_factory
from hypothesis import strategies as st
from pydantic import BaseModel

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)

NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u05e9\u05dc\u05d5\u05dd",  # RTL mark + Hebrew
    "🦠💉🇳🇴",
    "e\u0301" * 20,  # combining marks
    "Helse Sør-Øst RHF",
    "\ufeff",
    "\n\r\t",
    "' OR 1=1 --",
    "${jndi:ldap://x}",
    "٢٠٢٤-٠٣",  # Arabic-Indic digits: a "period" to Python's \d
    "2024-03",
    "2024-13",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2024-03-05T12:00:00+00:00",
]


def text(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=max_size),
    )


def integers(low: int, high: int) -> st.SearchStrategy[int]:
    edges = [e for e in (low, high, 0, 1, -1, low + 1, high - 1) if low <= e <= high]
    return st.one_of(st.sampled_from(edges), st.integers(low, high))


# --- protobuf -----------------------------------------------------------------------------


def proto_modules() -> list[types.ModuleType]:
    """Every generated ``*_pb2`` module of the ``eportfolio`` package."""
    import eportfolio

    found = []
    for info in pkgutil.walk_packages(eportfolio.__path__, "eportfolio."):
        if info.name.endswith("_pb2"):
            found.append(importlib.import_module(info.name))
    return found


def all_messages() -> list[d.Descriptor]:
    """Every message of every module, nested ones included (map entries left out)."""
    out: list[d.Descriptor] = []

    def walk(desc: d.Descriptor) -> None:
        if desc.GetOptions().map_entry:
            return
        out.append(desc)
        for nested in desc.nested_types:
            walk(nested)

    for module in proto_modules():
        for desc in module.DESCRIPTOR.message_types_by_name.values():
            walk(desc)
    return sorted(out, key=lambda m: m.full_name)


def message_class(desc: d.Descriptor) -> type[pb_message.Message]:
    return message_factory.GetMessageClass(desc)


_SCALARS: dict[int, st.SearchStrategy[Any]] = {
    d.FieldDescriptor.TYPE_INT32: integers(*INT32),
    d.FieldDescriptor.TYPE_SINT32: integers(*INT32),
    d.FieldDescriptor.TYPE_SFIXED32: integers(*INT32),
    d.FieldDescriptor.TYPE_INT64: integers(*INT64),
    d.FieldDescriptor.TYPE_SINT64: integers(*INT64),
    d.FieldDescriptor.TYPE_SFIXED64: integers(*INT64),
    d.FieldDescriptor.TYPE_UINT32: integers(*UINT32),
    d.FieldDescriptor.TYPE_FIXED32: integers(*UINT32),
    d.FieldDescriptor.TYPE_UINT64: integers(*UINT64),
    d.FieldDescriptor.TYPE_FIXED64: integers(*UINT64),
    d.FieldDescriptor.TYPE_BOOL: st.booleans(),
    # NaN is never equal to itself; infinities and signed zeros do round-trip.
    d.FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=False),
    d.FieldDescriptor.TYPE_FLOAT: st.floats(allow_nan=False, width=32),
    d.FieldDescriptor.TYPE_STRING: text(),
    d.FieldDescriptor.TYPE_BYTES: st.binary(max_size=40),
}


def enum_values(enum: d.EnumDescriptor) -> st.SearchStrategy[int]:
    """Known values, and (proto3 enums are open) any other int32."""
    known = [v.number for v in enum.values]
    return st.one_of(st.sampled_from(known), integers(*INT32))


def field_value(
    field: d.FieldDescriptor, depth: int, *, big_lists: bool = False
) -> st.SearchStrategy[Any]:
    if field.type == d.FieldDescriptor.TYPE_MESSAGE:
        entry = field.message_type
        if entry.GetOptions().map_entry:
            key = field_value(entry.fields_by_name["key"], depth + 1)
            value = field_value(entry.fields_by_name["value"], depth + 1)
            return st.dictionaries(key, value, max_size=3)
        one: st.SearchStrategy[Any] = message(entry, depth + 1)
    elif field.type == d.FieldDescriptor.TYPE_ENUM:
        one = enum_values(field.enum_type)
    else:
        one = _SCALARS[field.type]
    if field.is_repeated:
        return st.lists(one, max_size=40 if big_lists else 4)
    return one


def message(desc: d.Descriptor, depth: int = 0, *, big_lists: bool = False) -> Any:
    """A strategy of messages of ``desc``: any subset of its fields set, one per oneof."""
    cls = message_class(desc)
    if depth > 4:  # a recursive message would never end; deeper levels stay empty
        return st.just(cls())
    plain = {
        f.name: field_value(f, depth, big_lists=big_lists)
        for f in desc.fields
        if f.containing_oneof is None or f.containing_oneof.name.startswith("_")
    }
    oneofs = [
        st.one_of(
            st.just({}),
            *(
                field_value(f, depth, big_lists=big_lists).map(lambda v, n=f.name: {n: v})
                for f in o.fields
            ),
        )
        for o in desc.oneofs
        if not o.name.startswith("_")
    ]

    @st.composite
    def build(draw: st.DrawFn) -> pb_message.Message:
        kwargs = draw(st.fixed_dictionaries({}, optional=plain))
        for choice in oneofs:
            kwargs.update(draw(choice))
        return cls(**kwargs)

    return build()


def field_paths(desc: d.Descriptor) -> dict[str, d.FieldDescriptor]:
    """``name``, ``a.b`` ... for every field reachable from ``desc`` (indices stripped)."""
    out: dict[str, d.FieldDescriptor] = {}

    def walk(m: d.Descriptor, prefix: str, depth: int) -> None:
        for f in m.fields:
            path = f"{prefix}{f.name}"
            out[path] = f
            if f.type == d.FieldDescriptor.TYPE_MESSAGE and depth < 6:
                walk(f.message_type, f"{path}.", depth + 1)

    walk(desc, "", 0)
    return out


def names_a_field(desc: d.Descriptor, path: str) -> bool:
    """True if ``path`` (``a.b[3].c``; ``a[3]`` only on a repeated ``a``) names a field."""
    import re

    fields = field_paths(desc)
    parts = path.split(".")
    plain = []
    for part in parts:
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(\[(\d+)\])?", part)
        if m is None:
            return False
        plain.append(m.group(1))
        f = fields.get(".".join(plain))
        if f is None or (m.group(2) and not f.is_repeated):
            return False
    return True


# --- pydantic -----------------------------------------------------------------------------


def _offsets() -> st.SearchStrategy[timezone]:
    return st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


def datetimes() -> st.SearchStrategy[datetime]:
    """Times the services write: aware (offsets in whole minutes) or naive."""
    return st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31), timezones=_offsets()
    ) | st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31))


def _constraints(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for m in metadata:
        for name in ("ge", "gt", "le", "lt", "pattern", "min_length", "max_length"):
            value = getattr(m, name, None)
            if value is not None:
                found[name] = value
        if isinstance(m, annotated_types.Interval):
            found.update({k: v for k, v in vars(m).items() if v is not None})
    return found


def annotation(tp: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:  # noqa: PLR0911
    origin = get_origin(tp)
    if origin is typing.Annotated:
        base, *extra = get_args(tp)
        more: list[Any] = []
        for e in extra:
            more.extend(getattr(e, "metadata", [e]))
        return annotation(base, [*metadata, *more])
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(annotation(a, metadata) for a in get_args(tp)))
    if origin is Literal:
        return st.sampled_from(get_args(tp))
    if origin is list:
        (item,) = get_args(tp)
        return st.lists(annotation(item, []), max_size=4)
    if tp is type(None):
        return st.none()
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return model(tp)
    c = _constraints(metadata)
    if tp is bool:
        return st.booleans()
    if tp is int:
        low = c.get("ge", c["gt"] + 1 if "gt" in c else INT64[0])
        high = c.get("le", c["lt"] - 1 if "lt" in c else INT64[1])
        return integers(low, high)
    if tp is str:
        if "pattern" in c:
            return st.from_regex(c["pattern"], fullmatch=True)
        return text()
    if tp is datetime:
        return datetimes()
    raise NotImplementedError(f"no strategy for {tp!r}: teach tests/fuzz/strategies.py")


def model(cls: type[BaseModel]) -> st.SearchStrategy[BaseModel]:
    """Valid instances of ``cls``: required fields always, defaulted ones sometimes."""
    required = {}
    optional = {}
    for name, info in cls.model_fields.items():
        strategy = annotation(info.annotation, list(info.metadata))
        (required if info.is_required() else optional)[name] = strategy
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: cls(**kw))
