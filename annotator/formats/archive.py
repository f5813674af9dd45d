"""Formats made of many files (brat): write them to a directory or a streamed .zip, read them back.

A .zip is written as a stream (zipfile's data descriptors need no seeking),
so a download can start before the last document is read.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import limits
from .records import FormatError


class _Sink:
    """A write-only file that hands its bytes to the generator draining it (no tell, no seek)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        parts, self.parts = self.parts, []
        if parts:
            yield b"".join(parts)


def zip_stream(members: Iterable[tuple[str, str | bytes]]) -> Iterator[bytes]:
    """Yield the bytes of a .zip holding each (name, content), compressed, as members arrive."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
            yield from sink.drain()
    yield from sink.drain()


def write_directory(members: Iterable[tuple[str, str | bytes]], folder: Path) -> int:
    """Write each (name, content) under `folder`; return how many files."""
    count = 0
    for name, content in members:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8", newline="")
        else:
            target.write_bytes(content)
        count += 1
    return count


def brat_pairs(path: Path) -> Iterator[tuple[str, str, str]]:
    """(stem, .txt text, .ann content) for each .ann file in a folder, a .zip, or one .ann path.

    Each file is read up to IMPORT_MAX_MEMBER_BYTES and all of them up to
    IMPORT_MAX_ARCHIVE_BYTES, counted as they are decompressed (a zip's own
    sizes are not trusted): past either, FormatError, with little read.
    """
    budget = limits.Budget()
    if path.suffix.lower() == ".zip":
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            raise FormatError(f"not a zip archive ({error})") from None
        with archive:
            names = set(archive.namelist())
            for name in sorted(n for n in names if n.endswith(".ann")):
                text_name = name[:-4] + ".txt"
                if text_name in names:
                    text = _decode(_member(archive, text_name, budget), text_name)
                    yield name[:-4], text, _decode(_member(archive, name, budget), name)
        return
    files = sorted(path.rglob("*.ann")) if path.is_dir() else [path.with_suffix(".ann")]
    for ann in files:
        text = ann.with_suffix(".txt")
        if text.exists():
            stem = str(ann.relative_to(path) if path.is_dir() else ann.name)[:-4]
            yield stem, _read(text, budget), _read(ann, budget)


def _member(archive: zipfile.ZipFile, name: str, budget: limits.Budget) -> bytes:
    """The bytes of one member, decompressed a piece at a time and counted against the budget."""
    info = archive.getinfo(name)
    budget.take(name, info.file_size)  # what the zip says: refused at once if already too big
    budget.total -= info.file_size
    pieces, size = [], 0
    try:
        with archive.open(info) as handle:
            while piece := handle.read(1 << 20):
                size += len(piece)
                if size > budget.member:
                    budget.take(name, size)
                pieces.append(piece)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as error:
        raise FormatError(f"{name}: cannot be read from the archive ({error})") from None
    budget.take(name, size)
    return b"".join(pieces)


def _read(path: Path, budget: limits.Budget) -> str:
    size = path.stat().st_size
    budget.take(path.name, size)
    return _decode(path.read_bytes(), path.name)


def _decode(data: bytes, name: str = "") -> str:
    # brat offsets count the characters of the file as it is: no newline translation.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(f"{name}: not UTF-8 text ({error.reason} at byte {error.start})") from None
