"""Offsets counted in other units than Python's code points, and the check that finds the right one.

JavaScript counts string positions in UTF-16 code units, so a tool that takes
offsets from the browser (Label Studio in some versions) is off by one for
every emoji or other character outside the Basic Multilingual Plane before the
span; tools that work on raw files may count UTF-8 bytes. When a span carries
its text, the unit that makes `text[start:end]` equal it is the right one.
"""

from __future__ import annotations

from bisect import bisect_left


class Units:
    """Convert offsets counted in UTF-16 code units or UTF-8 bytes of `text` to code points."""

    def __init__(self, text: str):
        self.text = text
        self._utf16: list[int] | None = None
        self._utf8: list[int] | None = None

    def _table(self, width) -> list[int]:
        """Offset in other units of each code point position 0..len(text), given each character's width."""
        table = [0] * (len(self.text) + 1)
        total = 0
        for i, char in enumerate(self.text):
            total += width(char)
            table[i + 1] = total
        return table

    def from_utf16(self, offset: int) -> int | None:
        """The code point position at UTF-16 `offset`; None if it falls inside a surrogate pair."""
        if self._utf16 is None:
            self._utf16 = self._table(lambda c: 2 if c > "\uffff" else 1)
        return _position(self._utf16, offset)

    def from_utf8(self, offset: int) -> int | None:
        """The code point position at UTF-8 byte `offset`; None if it falls inside a character."""
        if self._utf8 is None:
            self._utf8 = self._table(lambda c: len(c.encode("utf-8", "surrogatepass")))
        return _position(self._utf8, offset)

    @property
    def plain(self) -> bool:
        """True when every unit agrees (ASCII text): no conversion can change anything."""
        return self.text.isascii()


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
