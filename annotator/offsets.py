"""Pure span arithmetic on character offsets: snapping to tokens, stepping, overlap; token offsets packed.

Tokens are (start, end) pairs in text order, as stored on a document. The
packing codec lives here rather than beside the tokenizer (formats.tokens)
so that models can store tokens without importing spaCy or the formats.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate

Tokens = Sequence[Sequence[int]]


def snap(start: int, end: int, tokens: Tokens) -> tuple[int, int] | None:
    """Widen [start, end) to whole tokens; None if it covers no token.

    A token is covered when the selection touches at least one of its
    characters, so a sloppy mouse selection still takes the whole word.
    """
    if end <= start or not tokens:
        return None
    starts = [t[0] for t in tokens]
    ends = [t[1] for t in tokens]
    first = bisect_right(ends, start)  # first token ending after `start`
    last = bisect_left(starts, end) - 1  # last token starting before `end`
    if first > last or first >= len(tokens) or last < 0:
        return None
    return tokens[first][0], tokens[last][1]


def step(start: int, end: int, tokens: Tokens, edge: str, direction: int) -> tuple[int, int]:
    """Move one edge of [start, end) by one token (`direction` -1 left, +1 right).

    The span never becomes empty and never leaves the token grid's range.
    """
    starts = [t[0] for t in tokens]
    ends = [t[1] for t in tokens]
    if edge == "end":
        index = bisect_left(ends, end)  # the token ending at `end`
        target = min(max(index + direction, 0), len(tokens) - 1)
        new_end = ends[target]
        return (start, new_end) if new_end > start else (start, end)
    index = bisect_left(starts, start)
    target = min(max(index + direction, 0), len(tokens) - 1)
    new_start = starts[target]
    return (new_start, end) if new_start < end else (start, end)


def overlapping(start: int, end: int, spans, ignore=None):
    """Return the first span (with .start/.end) that overlaps [start, end), skipping `ignore`."""
    for span in spans:
        if span is ignore or (ignore is not None and getattr(span, "pk", None) == getattr(ignore, "pk", object())):
            continue
        if span.start < end and start < span.end:
            return span
    return None


def segments(text: str, spans) -> list[tuple[int, str, object]]:
    """Cut `text` into (offset, piece, span-or-None) runs for display; spans must not overlap."""
    out = []
    position = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start > position:
            out.append((position, text[position : span.start], None))
        out.append((span.start, text[span.start : span.end], span))
        position = span.end
    if position < len(text):
        out.append((position, text[position:], None))
    return out


# ---------------------------------------------------------------- packed offsets
#
# A document's token offsets are stored packed: the offsets s0, e0, s1, e1, ...
# as differences from the one before (s0, e0 - s0, s1 - e0, ...), each a byte
# when under 255 and otherwise the byte 255 and four bytes little-endian. News
# text has short words and single spaces, so a token takes two bytes (JSON
# took about thirteen), and the Document row stays within one database page.

_ESCAPE = 255


def pack_values(values: list[int]) -> bytes:
    try:
        packed = bytes(values)  # all of 0..255: one byte each, unless one is the escape itself
    except ValueError:
        pass
    else:
        if _ESCAPE not in packed:
            return packed
    out = bytearray()
    for value in values:
        if 0 <= value < _ESCAPE:
            out.append(value)
        elif _ESCAPE <= value < 1 << 32:
            out.append(_ESCAPE)
            out += value.to_bytes(4, "little")
        else:
            raise ValueError("token offsets must be ascending, non-overlapping and under 2**32")
    return bytes(out)


def pack_offsets(tokens: Iterable[Sequence[int]]) -> bytes:
    """Pack (start, end) token offsets, in text order and not overlapping, into bytes (see unpack_offsets)."""
    values, previous = [], 0
    for start, end in tokens:
        start, end = int(start), int(end)
        values.append(start - previous)
        values.append(end - start)
        previous = end
    return pack_values(values)


def unpack_offsets(data: bytes | bytearray | memoryview) -> list[tuple[int, int]]:
    """The (start, end) token offsets packed in `data` by pack_offsets or packed_token_offsets."""
    if not isinstance(data, bytes):
        data = bytes(data)
    if _ESCAPE in data:
        values, position, size = [], 0, len(data)
        while position < size:
            byte = data[position]
            if byte == _ESCAPE:
                if position + 5 > size:
                    raise ValueError("packed token offsets are cut short")
                values.append(int.from_bytes(data[position + 1 : position + 5], "little"))
                position += 5
            else:
                values.append(byte)
                position += 1
        if len(values) % 2:
            raise ValueError("packed token offsets are cut short")
        ends = accumulate(values)
    elif len(data) % 2:
        raise ValueError("packed token offsets are cut short")
    else:
        ends = accumulate(data)  # bytes iterate as ints: a running sum gives s0, e0, s1, e1, ...
    return list(zip(ends, ends))
