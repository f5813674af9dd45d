"""brat standoff: a `.txt` file with the text and an `.ann` file of `T1<TAB>LABEL start end<TAB>text` lines.

brat's .ann format is line based, so a span across a line break is written
as fragments that skip the break (`T1	ACTOR 0 5;6 12	Iraqi forces`), as
brat itself does; reading merges fragments whose gaps are only whitespace.
Offsets count characters of the .txt file; the text column is checked, and
offsets counted in UTF-16 units or UTF-8 bytes by other tools are converted
when that makes the text match. Relations, events, attributes and notes are
not spans and are skipped. `annotation.conf` lists the labels for brat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .records import FormatError, Record, Span
from .units import Units, locate

KIND = "files"
SUFFIX = ""  # a directory, or a .zip of one
MEDIA_TYPE = "application/zip"
HAS_SPANS = True

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_BREAK = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+")
_ENTITY = re.compile(r"^(T\S*)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t(.*)$")


def dump(records: Iterable[Record], report=None, layer: str = "gold") -> Iterator[tuple[str, str]]:
    """Yield (file name, content): a .txt and an .ann per record, then annotation.conf."""
    used: set[str] = set()
    labels: set[str] = set()
    for record in records:
        stem = _stem(record.id, used)
        lines = []
        for n, span in enumerate(sorted(record.spans, key=lambda s: (s.start, s.end)), start=1):
            labels.add(span.label)
            fragments = _fragments(record.text, span.start, span.end)
            where = ";".join(f"{s} {e}" for s, e in fragments)
            covered = " ".join(_flat(record.text[s:e]) for s, e in fragments)
            lines.append(f"T{n}\t{span.label} {where}\t{covered}\n")
        yield f"{stem}.txt", record.text
        yield f"{stem}.ann", "".join(lines)
    conf = "[entities]\n" + "".join(f"{label}\n" for label in sorted(labels))
    yield "annotation.conf", conf + "\n[relations]\n\n[events]\n\n[attributes]\n"


def _stem(record_id: str, used: set[str]) -> str:
    stem = _UNSAFE.sub("_", record_id).strip("._")[:100] or "document"
    candidate, n = stem, 1
    while candidate.lower() in used:
        n += 1
        candidate = f"{stem}-{n}"
    used.add(candidate.lower())
    return candidate


def _fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut at the line breaks inside it, as brat splits a span that crosses lines.

    A break at the very start or end stays in the span: cutting it off would
    move the span's offsets.
    """
    fragments, position = [], start
    for match in _BREAK.finditer(text, start, end):
        if match.start() > position and match.end() < end:
            fragments.append((position, match.start()))
            position = match.end()
    fragments.append((position, end))
    return fragments


def _flat(covered: str) -> str:
    """A span's text for the .ann text column, which cannot hold a line break."""
    return _BREAK.sub(" ", covered)


def load(pairs: Iterable[tuple[str, str, str]], name: str = "", on_error=None, layer: str = "gold") -> Iterator[Record]:
    """Yield a record per (stem, .txt text, .ann content) triple."""
    seen = False
    for stem, text, ann in pairs:
        seen = True
        try:
            yield _record(stem, text, ann)
        except FormatError as error:
            if on_error is None:
                raise
            on_error(error)
    if not seen:
        raise FormatError("no .ann/.txt pairs found")


def _record(stem: str, text: str, ann: str) -> Record:
    if not text.strip():
        raise FormatError(f"{stem}.txt is empty")
    units = Units(text)
    spans = []
    for number, line in enumerate(ann.splitlines(), start=1):
        if not line.startswith("T"):
            continue  # relations, events, attributes, notes
        match = _ENTITY.match(line)
        if match is None:
            raise FormatError(f"{stem}.ann: not a text-bound annotation: {line!r}", number)
        name, label, where, covered = match.groups()
        fragments = [tuple(int(x) for x in part.split()) for part in where.split(";")]
        start, end = fragments[0][0], fragments[-1][1]
        for (_, gap_start), (gap_end, _) in zip(fragments, fragments[1:]):
            if text[gap_start:gap_end].strip():
                raise FormatError(f"{stem}.ann: a discontinuous span skips {text[gap_start:gap_end]!r}", number)
        if len(fragments) == 1 and _flat(text[start:end]) != covered:
            start, end = locate(units, start, end, covered, allow=("utf16", "utf8"))
        found = " ".join(_flat(text[s:e]) for s, e in ([(start, end)] if len(fragments) == 1 else fragments))
        if found != covered:
            raise FormatError(f"{stem}.ann: {name} [{start}, {end}) covers {found!r} but its text is {covered!r}", number)
        spans.append(Span(start, end, label))
    return Record(id=stem, text=text, spans=spans, line=1)
