"""What to do with overlapping or nested spans, which doccano and Label Studio allow and the app does not.

`--overlaps` names the policy:

- refuse (the default): an overlapping span is an error naming both spans
  (with --skip-invalid the later one is left out and listed);
- keep-longest: of spans that overlap, the longest is kept (of equal
  lengths, the one that starts first), the others are dropped;
- keep-first: the span that starts first is kept (of two that start
  together, the longer), the others are dropped;
- split: the text under overlapping spans is cut at every span edge and
  each piece goes to the shortest span covering it (the innermost of
  nested spans; of equal lengths, the one that starts first), so
  "[forces of [Mosul]]" becomes "forces of" and "Mosul"; white space at
  the edges of a piece is trimmed and a piece of white space is dropped.

A span given twice (same offsets, same label; the first of them) is kept
once under every policy. Pure: no Django.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace
from itertools import pairwise
from operator import attrgetter

from .records import Span

REFUSE, KEEP_LONGEST, KEEP_FIRST, SPLIT = "refuse", "keep-longest", "keep-first", "split"
POLICIES = (REFUSE, KEEP_LONGEST, KEEP_FIRST, SPLIT)
_by_position = attrgetter("start", "end", "label")


def resolve(spans: list[Span], policy: str, text: str) -> tuple[list[Span], list[tuple[Span, Span]], int]:
    """Apply `policy` to `spans`: (the spans kept, in text order; refused (span, the span it overlaps); spans changed).

    Only `refuse` refuses; the other policies report how many spans they
    dropped, cut or trimmed.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown overlap policy {policy!r} (known: {', '.join(POLICIES)})")
    unique: list[Span] = []
    overlapping, reach = False, -1
    for span in sorted(spans, key=_by_position):
        if unique:
            last = unique[-1]
            if span.start == last.start and span.end == last.end and span.label == last.label:
                continue  # the same span twice: once
        if span.start < reach:
            overlapping = True
        reach = max(reach, span.end)
        unique.append(span)
    if not overlapping:
        return unique, [], 0
    if policy == REFUSE:
        kept, refused = [], []
        for span in unique:
            if kept and span.start < kept[-1].end:
                refused.append((span, kept[-1]))
            else:
                kept.append(span)
        return kept, refused, 0
    if policy == KEEP_FIRST:
        kept = []
        for span in sorted(unique, key=lambda s: (s.start, -(s.end - s.start))):
            if not kept or span.start >= kept[-1].end:
                kept.append(span)
        return kept, [], len(unique) - len(kept)
    if policy == KEEP_LONGEST:
        starts: list[int] = []
        chosen: list[Span] = []
        for span in sorted(unique, key=lambda s: (-(s.end - s.start), s.start)):
            at = bisect_left(starts, span.start)
            if at > 0 and chosen[at - 1].end > span.start:
                continue
            if at < len(chosen) and chosen[at].start < span.end:
                continue
            starts.insert(at, span.start)
            chosen.insert(at, span)
        return chosen, [], len(unique) - len(chosen)
    return _split(unique, text)


def _split(spans: list[Span], text: str) -> tuple[list[Span], list, int]:
    edges = sorted({p for s in spans for p in (s.start, s.end)})
    owners: list[tuple[int, int, Span]] = []  # (start, end, owner) of each piece, in text order
    for begin, finish in pairwise(edges):
        covering = [s for s in spans if s.start <= begin and finish <= s.end]
        if not covering:
            continue
        owner = min(covering, key=lambda s: (s.end - s.start, s.start))
        if owners and owners[-1][2] is owner and owners[-1][1] == begin:
            owners[-1] = (owners[-1][0], finish, owner)
        else:
            owners.append((begin, finish, owner))
    kept = []
    for begin, finish, owner in owners:
        while begin < finish and text[begin].isspace():
            begin += 1
        while finish > begin and text[finish - 1].isspace():
            finish -= 1
        if begin < finish:
            kept.append(replace(owner, start=begin, end=finish, text=None))
    whole = {(k.start, k.end, k.label) for k in kept}
    return kept, [], sum(1 for s in spans if (s.start, s.end, s.label) not in whole)
