"""Formats made of many files (brat): write them to a directory or a streamed .zip, read them back.

A .zip is written as a stream (zipfile's data descriptors need no seeking),
so a download can start before the last document is read.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path


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
    """(stem, .txt text, .ann content) for each .ann file in a folder, a .zip, or one .ann path."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for name in sorted(n for n in names if n.endswith(".ann")):
                text_name = name[:-4] + ".txt"
                if text_name in names:
                    yield name[:-4], _decode(archive.read(text_name)), _decode(archive.read(name))
        return
    files = sorted(path.rglob("*.ann")) if path.is_dir() else [path.with_suffix(".ann")]
    for ann in files:
        text = ann.with_suffix(".txt")
        if text.exists():
            yield str(ann.relative_to(path) if path.is_dir() else ann.name)[:-4], _read(text), _read(ann)


def _read(path: Path) -> str:
    return _decode(path.read_bytes())


def _decode(data: bytes) -> str:
    # brat offsets count the characters of the file as it is: no newline translation.
    return data.decode("utf-8")
