"""Where a rendered report goes: a file (``--out``) or stdout, never binary to a terminal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, TextIO

from report_views.render import ReportFormat, format_of


class DestinationError(ValueError):
    """The report cannot be written where the command line asks (a usage error)."""


def choose_format(requested: ReportFormat | None, out: Path | None) -> ReportFormat:
    """``--format`` if given, else what ``--out``'s suffix names (``.pdf``), else table."""
    if requested is not None:
        return requested
    return (format_of(out) if out else None) or ReportFormat.TABLE


def check_destination(fmt: ReportFormat, out: Path | None, stdout: TextIO) -> None:
    """Refuse, before any work, what cannot be written: binary output to a terminal, or a
    file in a directory that does not exist."""
    if out is None:
        if fmt.binary and stdout.isatty():
            raise DestinationError(
                f"{fmt.value} is a binary format and stdout is a terminal: write it to a file "
                f"with --out FILE, or redirect stdout (e.g. > rapport.{fmt.value})"
            )
        return
    if out.is_dir():
        raise DestinationError(f"--out {out} is a directory; name a file")
    if not out.parent.is_dir():
        raise DestinationError(f"--out {out}: the directory {out.parent} does not exist")


def write_file(content: str | bytes, out: Path) -> int:
    """Write ``content`` (text as UTF-8) to ``out`` whole or not at all; return its size."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as stream:  # the umask's permissions, like any new file
            stream.write(data)
        temporary.replace(out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return len(data)


def write_stdout(content: str | bytes, stdout: TextIO) -> None:
    """Text as UTF-8 (whatever the terminal's encoding), bytes as they are."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    stdout.flush()
    buffer: BinaryIO | None = getattr(stdout, "buffer", None)
    if buffer is None:  # a stream without bytes (e.g. in tests): text only
        stdout.write(data.decode("utf-8"))
        return
    buffer.write(data)
    buffer.flush()


def size_text(size: int) -> str:
    """A file size for people: "812 B", "21 kB", "1.4 MB"."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"
