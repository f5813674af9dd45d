"""The one span type of the pure parts: a labelled range [start, end) of a text, in code points.

Formats read into it and write from it, adjudication compares sets of it,
and the services build it from stored rows. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, unsafe_hash=True, order=True)
class Span:
    """A labelled range [start, end) of a text; the optional fields carry what some formats hold.

    Treated as immutable and hashable, but not `frozen`: a frozen dataclass
    sets each field through object.__setattr__, which makes building one four
    times slower, and an export builds hundreds of thousands a second.
    Ordered by (start, end, label) first, so sorted spans are in text order.
    """

    start: int
    end: int
    label: str
    text: str | None = None
    score: float | None = None
    source: str | None = None
    origin: str | None = None
    annotator: str | None = None


__all__ = ["Span"]
