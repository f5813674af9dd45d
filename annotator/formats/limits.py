"""Limits on what a file may hold, checked while it is read, and the text rules every input obeys.

Pure: the values come from any object with the setting names as attributes
(Django's settings, given by AnnotatorConfig.ready through `configure`), else
the defaults below.

- IMPORT_MAX_DOCUMENT_CHARS: characters in one document's text (1,000,000).
- IMPORT_MAX_NESTING: how deep JSON may nest (64); deeper is refused before it is parsed.
- IMPORT_MAX_MEMBER_BYTES: one file of an archive or folder, after decompression (64 MB).
- IMPORT_MAX_ARCHIVE_BYTES: all files of an archive together, after decompression (1 GB).

Text (a document's, an id, meta, span fields) may hold no NUL character
(PostgreSQL cannot store one) and no lone surrogate (no UTF-8 for it), so one
file gets the same answer on every database.
"""

from __future__ import annotations

import re
from itertools import accumulate

from .errors import FormatError

DEFAULTS = {
    "IMPORT_MAX_DOCUMENT_CHARS": 1_000_000,
    "IMPORT_MAX_NESTING": 64,
    "IMPORT_MAX_MEMBER_BYTES": 64 * 1024 * 1024,
    "IMPORT_MAX_ARCHIVE_BYTES": 1 << 30,
}
_source = None


def configure(source) -> None:
    """Read the limits from `source`'s attributes from now on (None: the defaults)."""
    global _source
    _source = source


def _get(name: str) -> int:
    return int(getattr(_source, name, DEFAULTS[name])) if _source is not None else DEFAULTS[name]


def document_chars() -> int:
    return _get("IMPORT_MAX_DOCUMENT_CHARS")


def nesting() -> int:
    return _get("IMPORT_MAX_NESTING")


def member_bytes() -> int:
    return _get("IMPORT_MAX_MEMBER_BYTES")


def archive_bytes() -> int:
    return _get("IMPORT_MAX_ARCHIVE_BYTES")


def line_bytes() -> int:
    """The longest line (or JSON value) read: a document at its limit written with JSON's longest escapes, plus room."""
    return 12 * document_chars() + (1 << 20)


def _size(count: int) -> str:
    return f"{count / (1 << 20):.0f} MB" if count >= 1 << 20 else f"{count:,} bytes"


# ---------------------------------------------------------------- text

_BAD = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored (a NUL, a lone surrogate), or None."""
    if value.isascii():
        if "\x00" not in value:
            return None
    found = _BAD.search(value)
    if found is None:
        return None
    at = found.start()
    if found.group() == "\x00":
        return f"NUL character at offset {at}: not allowed in text"
    return f"lone surrogate {found.group().encode('unicode_escape').decode()} at offset {at}: not valid Unicode text"


def check_text(value: str, line: int | None, field: str) -> None:
    """Raise FormatError if `value` holds a NUL or a lone surrogate."""
    problem = text_problem(value)
    if problem:
        raise FormatError(problem, line, field)


def check_document_text(value: str, line: int | None, field: str = "text") -> None:
    """A document's text: not empty or white space only, at most IMPORT_MAX_DOCUMENT_CHARS, storable."""
    if not isinstance(value, str) or not value.strip():
        raise FormatError("must be a non-empty string (not only white space)", line, field)
    limit = document_chars()
    if len(value) > limit:
        raise FormatError(
            f"the text is {len(value):,} characters, over the limit of {limit:,} (settings.IMPORT_MAX_DOCUMENT_CHARS)",
            line,
            field,
        )
    check_text(value, line, field)


def check_value(value, line: int | None, field: str) -> None:
    """Every string (keys too) in a JSON-like value is storable; `field` names where, e.g. meta.source."""
    stack = [(value, field)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            check_text(item, line, where)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str):
                    check_text(key, line, f"{where} (a key)")
                stack.append((inner, f"{where}.{key}"))
        elif isinstance(item, (list, tuple)):
            stack.extend((inner, f"{where}[{index}]") for index, inner in enumerate(item))


def check_one_document_file(size: int) -> None:
    """A file that is one document (plain text) of `size` bytes: refused unread when it must hold more
    than IMPORT_MAX_DOCUMENT_CHARS characters (UTF-8 takes at most 4 bytes a character)."""
    limit = document_chars()
    if size > 4 * limit:
        raise FormatError(
            f"the file is {size:,} bytes, so its text is over the limit of {limit:,} characters "
            "(settings.IMPORT_MAX_DOCUMENT_CHARS)",
            1,
            "text",
        )


# ---------------------------------------------------------------- JSON nesting

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}
_BRACKETS = re.compile(r"[^\[\]{}]+")


def json_depth(text: str, limit: int | None = None) -> int:
    """How deep the JSON in `text` nests (brackets inside strings do not count).

    With `limit`, return 0 at once when it cannot be deeper than `limit` (it has
    no more brackets than that).
    """
    if limit is not None and text.count("[") + text.count("{") <= limit:
        return 0  # cannot nest deeper than it has brackets
    if '"' in text:
        text = _STRING.sub("", text)
    brackets = _BRACKETS.sub("", text)
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def check_json_depth(text: str, line: int | None = None) -> None:
    """Raise FormatError if the JSON in `text` nests deeper than IMPORT_MAX_NESTING."""
    limit = nesting()
    if json_depth(text, limit) > limit:
        raise FormatError(f"JSON nested deeper than {limit} levels (settings.IMPORT_MAX_NESTING)", line)


# ---------------------------------------------------------------- byte counts


def bounded_lines(handle, limit: int | None = None):
    """The lines of a binary file, refusing one longer than `limit` bytes (default line_bytes()) before it is all read."""
    limit = limit or line_bytes()
    number = 0
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit:
            raise FormatError(
                f"a line longer than {_size(limit)}: no record may be that long "
                f"(settings.IMPORT_MAX_DOCUMENT_CHARS is {document_chars():,} characters)",
                number,
            )
        yield raw



class Budget:
    """Counts the bytes taken out of an archive or folder: each file, and all together."""

    def __init__(self):
        self.total = 0
        self.member = member_bytes()
        self.archive = archive_bytes()

    def take(self, name: str, size: int) -> None:
        if size > self.member:
            raise FormatError(
                f"{name}: over {_size(self.member)} once decompressed (settings.IMPORT_MAX_MEMBER_BYTES)"
            )
        self.total += size
        if self.total > self.archive:
            raise FormatError(
                f"the archive holds over {_size(self.archive)} once decompressed (settings.IMPORT_MAX_ARCHIVE_BYTES)"
            )
