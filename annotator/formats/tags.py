"""Token tags <-> token spans: IOB2 out; IOB1, IOB2, BILOU and IOBES in.

Token spans are (first, after_last, label) token indices. The scheme of a
sequence is told by its prefixes: L-/U- mean BILOU, E-/S- mean IOBES, else
IOB. One IOB reader serves IOB1 and IOB2: an I- tag that does not continue a
chunk of its label starts one (IOB1's rule), which IOB2 never needs.
"""

from __future__ import annotations

from .records import FormatError


def iob2(length: int, spans: list[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags for `length` tokens: B- on every chunk's first token, I- on the rest."""
    tags = ["O"] * length
    for first, after, label in spans:
        tags[first] = f"B-{label}"
        for i in range(first + 1, after):
            tags[i] = f"I-{label}"
    return tags


def scheme_of(tags: list[str]) -> str:
    prefixes = {tag[:2] for tag in tags if tag != "O"}
    bilou, iobes = prefixes & {"L-", "U-"}, prefixes & {"E-", "S-"}
    if bilou and iobes:
        raise FormatError("tags mix BILOU (L-, U-) and IOBES (E-, S-)")
    return "BILOU" if bilou else "IOBES" if iobes else "IOB"


def spans_of(tags: list[str]) -> list[tuple[int, int, str]]:
    """Read chunks from tags in any of the schemes; FormatError names the index of a bad tag."""
    scheme = scheme_of(tags)
    end, single = ("L-", "U-") if scheme == "BILOU" else ("E-", "S-")
    spans: list[tuple[int, int, str]] = []
    open_at, open_label = None, None
    for i, tag in enumerate(tags):
        if tag == "O":
            prefix, label = "O", None
        elif len(tag) > 2 and tag[1] == "-" and tag[0] in "BIOLUES":
            prefix, label = tag[:2], tag[2:]
        else:
            raise FormatError(f"tag {tag!r} is not O or a B-/I-{'/L-/U-' if scheme == 'BILOU' else ''} tag", field=str(i))
        continues = open_at is not None and label == open_label
        if scheme == "IOB":
            if prefix == "I-" and continues:
                continue
            if open_at is not None:
                spans.append((open_at, i, open_label))
                open_at = None
            if prefix in ("B-", "I-"):
                open_at, open_label = i, label
            elif prefix != "O":
                raise FormatError(f"tag {tag!r} does not belong to IOB", field=str(i))
            continue
        # BILOU / IOBES: every chunk is closed explicitly.
        if prefix in ("I-", end):
            if not continues:
                raise FormatError(f"tag {tag!r} does not continue a chunk of {label}", field=str(i))
            if prefix == end:
                spans.append((open_at, i + 1, label))
                open_at = None
            continue
        if open_at is not None:
            raise FormatError(f"the {open_label} chunk from token {open_at} is not closed before {tag!r}", field=str(i))
        if prefix == "B-":
            open_at, open_label = i, label
        elif prefix == single:
            spans.append((i, i + 1, label))
        elif prefix != "O":
            raise FormatError(f"tag {tag!r} does not belong to {scheme}", field=str(i))
    if open_at is not None:
        if scheme != "IOB":
            raise FormatError(f"the {open_label} chunk from token {open_at} is not closed", field=str(len(tags) - 1))
        spans.append((open_at, len(tags), open_label))
    return spans
