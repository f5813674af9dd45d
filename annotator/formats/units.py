"""Offsets counted in other units than Python's code points, and the check that finds the right one.

JavaScript counts string positions in UTF-16 code units, so a tool that takes
offsets from the browser (doccano's editor, Label Studio in some versions) is
off by one for every emoji or other character outside the Basic Multilingual
Plane before the span; doccano's editor in its grapheme mode counts grapheme
clusters (a flag, an emoji with skin tone or ZWJ, a letter with its combining
accents, CRLF: one each); tools that work on raw files may count UTF-8 bytes.
When a span carries its text, the unit that makes `text[start:end]` equal it
is the right one.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

import regex

from .records import Record, Span

# The units offsets may come in (import_docs/export --offsets), and their names for people.
CODEPOINT, UTF16, GRAPHEME = "codepoint", "utf16", "grapheme"
UNITS = (CODEPOINT, UTF16, GRAPHEME)
UNIT_NAMES = {CODEPOINT: "code points", UTF16: "UTF-16 code units", GRAPHEME: "grapheme clusters", "utf8": "UTF-8 bytes"}

_GRAPHEME = regex.compile(r"\X", regex.DOTALL)
_ASTRAL = regex.compile("[\U00010000-\U0010ffff]")  # two UTF-16 units each


class Units:
    """Convert offsets counted in UTF-16 code units, grapheme clusters or UTF-8 bytes of `text` to code points, and back."""

    def __init__(self, text: str):
        self.text = text
        self._utf16: list[int] | None = None
        self._utf8: list[int] | None = None
        self._graphemes: list[int] | None = None
        self._agree: bool | None = None

    def _table(self, width) -> list[int]:
        """Offset in other units of each code point position 0..len(text), given each character's width."""
        table = [0] * (len(self.text) + 1)
        total = 0
        for i, char in enumerate(self.text):
            total += width(char)
            table[i + 1] = total
        return table

    def _astral(self) -> list[int]:
        """The code point positions of the characters outside the BMP (two UTF-16 units each)."""
        if self._utf16 is None:
            self._utf16 = [m.start() for m in _ASTRAL.finditer(self.text)]
        return self._utf16

    def from_utf16(self, offset: int) -> int | None:
        """The code point position at UTF-16 `offset`; None if it falls inside a surrogate pair or outside the text."""
        astral = self._astral()
        # The k-th astral character starts at UTF-16 unit astral[k] + k; `before` of them start before `offset`.
        low, high = 0, len(astral)
        while low < high:
            middle = (low + high) // 2
            if astral[middle] + middle < offset:
                low = middle + 1
            else:
                high = middle
        before = low
        if before and astral[before - 1] + before == offset:
            return None  # between the two units of the last of them
        position = offset - before
        return position if 0 <= position <= len(self.text) else None

    def from_utf8(self, offset: int) -> int | None:
        """The code point position at UTF-8 byte `offset`; None if it falls inside a character."""
        if self._utf8 is None:
            self._utf8 = self._table(lambda c: len(c.encode("utf-8", "surrogatepass")))
        return _position(self._utf8, offset)

    def graphemes(self) -> list[int]:
        """The code point position where each grapheme cluster starts, and len(text) last."""
        if self._graphemes is None:
            if self.text.isascii() and "\r\n" not in self.text:
                self._graphemes = list(range(len(self.text) + 1))
            else:
                self._graphemes = [m.start() for m in _GRAPHEME.finditer(self.text)] + [len(self.text)]
        return self._graphemes

    def from_grapheme(self, offset: int) -> int | None:
        """The code point position at grapheme cluster `offset`; None past the end."""
        table = self.graphemes()
        return table[offset] if 0 <= offset < len(table) else None

    def from_unit(self, unit: str, offset: int) -> int | None:
        """The code point position at `offset` counted in `unit`; None if no character boundary is there."""
        if unit == CODEPOINT:
            return offset if 0 <= offset <= len(self.text) else None
        if unit == UTF16:
            return self.from_utf16(offset)
        if unit == GRAPHEME:
            return self.from_grapheme(offset)
        if unit == "utf8":
            return self.from_utf8(offset)
        raise ValueError(f"unknown offset unit {unit!r} (known: {', '.join(UNITS)})")

    def to_unit(self, unit: str, position: int) -> int | None:
        """Code point `position` counted in `unit`; None if it falls inside a grapheme cluster (grapheme)."""
        if unit == CODEPOINT:
            return position
        if unit == UTF16:
            return position + bisect_left(self._astral(), position)
        if unit == GRAPHEME:
            return _position(self.graphemes(), position)
        raise ValueError(f"unknown offset unit {unit!r} (known: {', '.join(UNITS)})")

    @property
    def plain(self) -> bool:
        """True when every unit agrees (ASCII text): no conversion can change anything."""
        return self.text.isascii()

    @property
    def agree(self) -> bool:
        """True when code points, UTF-16 units and grapheme clusters count this text alike."""
        if self._agree is None:
            text = self.text
            if text.isascii():
                self._agree = "\r\n" not in text
            else:
                self._agree = _ASTRAL.search(text) is None and len(self.graphemes()) == len(text) + 1
        return self._agree


def in_unit(record: Record, unit: str, report=None) -> Iterator[tuple[int, Span, int, int]]:
    """The spans of `record` for a file whose offsets count in `unit`: (n, span, start, end), by offset.

    `n` is the span's place in offset order (an exported region's id uses
    it). A span `unit` cannot hold (an edge inside a grapheme cluster) is
    told to `report(record, span, message)` and left out. The one writer's
    conversion for the formats that write offsets in another unit (doccano,
    Label Studio); ASCII text without CRLF counts alike in every unit and is
    not converted.
    """
    text = record.text
    units = None if unit == CODEPOINT or (text.isascii() and "\r\n" not in text) else Units(text)
    for n, span in enumerate(sorted(record.spans, key=lambda s: (s.start, s.end))):
        start, end = span.start, span.end
        if units is not None:
            start, end = units.to_unit(unit, start), units.to_unit(unit, end)
        if start is None or end is None:
            if report:
                report(record, span, f"an edge falls inside a grapheme cluster, which offsets in {unit} cannot hold")
            continue
        yield n, span, start, end


def _position(table: list[int], offset: int) -> int | None:
    index = bisect_left(table, offset)
    return index if index < len(table) and table[index] == offset else None


def locate(units: Units, start: int, end: int, expected: str | None, *, allow=("utf16",)) -> tuple[int, int]:
    """Return code point offsets for [start, end), converting from the unit that makes the text match.

    Offsets are code points unless `expected` (the span's own text) disagrees
    with them and another unit in `allow` ("utf16", "utf8") agrees. When none
    agrees they are returned as given, and check_spans reports the mismatch
    with the document and line.
    """
    text = units.text
    if expected is None or text[start:end] == expected or units.plain:
        return start, end
    for unit in allow:
        convert = units.from_utf16 if unit == "utf16" else units.from_utf8
        begin, finish = convert(start), convert(end)
        if begin is not None and finish is not None and text[begin:finish] == expected:
            return begin, finish
    return start, end
