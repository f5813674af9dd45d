"""Pure span arithmetic on character offsets: snapping to tokens, stepping, overlap.

Tokens are (start, end) pairs in text order, as stored on a document.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

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
