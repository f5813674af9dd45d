"""Turn the spans a file gives into a document's spans: the offset unit, span checks, overlaps. Pure: no Django.

Label Studio and doccano are written by editors that count offsets in
different units (code points, UTF-16 code units, grapheme clusters) and that
allow overlapping spans. `SpanReader.spans` takes the spans of one document
as the file gives them and

1. finds the unit its offsets are counted in: where spans carry their text,
   the unit in which every span covers its text (tried in the order: the one
   asked for, then code points, UTF-16, graphemes); without text, the unit
   asked for (`--offsets`, by default what the format's editor writes);
2. checks each span on its own (label, inside the text, not empty, its text);
3. applies the overlap policy (overlaps.py).

A bad span is an error (SpanError) naming the document and the span; with
`on_error` (--skip-invalid) it is reported there and left out, and the
document is kept, unless none of its spans is sound or the span texts
match no unit, which makes the whole document an error. `ReadStats` counts
what was decided for the import's report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from . import jsonio
from . import overlaps as overlap_policies
from .records import FormatError, Record, Span
from .units import CODEPOINT, UNIT_NAMES, UNITS, Units

AGREE = "any"  # a document whose text every unit counts alike


# What the load() of a format whose spans go through a SpanReader takes beyond the common arguments.
LOAD_OPTIONS = ("offsets", "overlaps", "labels", "stats")

class SpanError(FormatError):
    """A problem with one span: with --skip-invalid the span is left out and its document kept."""

    def at(self, path: str) -> SpanError:
        return SpanError(self.message, self.line, self.field, path)


@dataclass
class ReadStats:
    """What reading decided, for the import report: units per document, trimmed texts, overlap changes."""

    units: Counter = field(default_factory=Counter)
    trimmed: int = 0
    overlaps: Counter = field(default_factory=Counter)
    # Documents without span texts whose spans cut words in the unit used but not in another: (used, other) -> n.
    suspect: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        parts = []
        used = [f"{UNIT_NAMES[unit]} in {_count(n, 'document')}" for unit, n in self.units.most_common() if unit != AGREE]
        if used:
            agree = self.units.get(AGREE, 0)
            parts.append("offsets counted in " + ", ".join(used) + (f" ({agree} more count alike in every unit)" if agree else ""))
        elif self.units:
            parts.append("offsets: every document counts alike in code points, UTF-16 units and graphemes")
        if self.trimmed:
            parts.append(f"{_count(self.trimmed, 'span text')} matched once the white space around them was trimmed")
        for policy, n in sorted(self.overlaps.items()):
            parts.append(f"{_count(n, 'overlapping span')} dropped or cut (--overlaps {policy})")
        for (used, other), n in self.suspect.most_common():
            parts.append(
                f"CHECK THE UNIT: in {_count(n, 'document')} spans cut words in {UNIT_NAMES[used]} but not in "
                f"{UNIT_NAMES[other]} (--offsets {other}?)"
            )
        return "; ".join(parts)


@dataclass(slots=True)
class Given:
    """A span as a file gives it: offsets in a unit not yet known, the text it says it covers, where it is."""

    start: int
    end: int
    label: str
    text: str | None
    where: str
    score: float | None = None
    source: str | None = None
    origin: str | None = None


class SpanReader:
    """The options of one load(): offset unit, overlap policy, labels, error handling, and the stats."""

    def __init__(
        self,
        *,
        offsets: str | None = None,
        default: str = CODEPOINT,
        overlaps: str | None = None,
        labels: set[str] | None = None,
        on_error=None,
        stats: ReadStats | None = None,
        trim: bool = False,
    ):
        preferred = offsets or default
        if preferred not in UNITS:
            raise FormatError(f"unknown offset unit {preferred!r} (known: {', '.join(UNITS)})")
        policy = overlaps or overlap_policies.REFUSE
        if policy not in overlap_policies.POLICIES:
            raise FormatError(f"unknown overlap policy {policy!r} (known: {', '.join(overlap_policies.POLICIES)})")
        self.order = [preferred, *(u for u in UNITS if u != preferred)]
        self.policy = policy
        self.labels = labels
        self.on_error = on_error
        self.stats = stats if stats is not None else ReadStats()
        self.trim = trim

    def _matches(self, covered: str, expected: str) -> bool:
        if covered == expected:
            return True
        # Label Studio's editor puts the line break before a region at a paragraph start into value.text.
        return self.trim and bool(expected.strip()) and covered.strip() == expected.strip()

    def spans(self, record_id: str, text: str, given: list[Given], line: int | None) -> list[Span]:
        """The document's spans in code points, checked; raise (or report) what is wrong."""
        if not given:
            return []
        units = Units(text)
        errors: list[SpanError] = []
        if self.labels is not None:
            given = self._known_labels(record_id, given, line, errors)
        unit = self._unit(record_id, text, units, given, line)
        spans, where = [], {}
        plain = unit == CODEPOINT or units.agree  # offsets are code points already
        size = len(text)
        for g in given:
            if plain:
                begin, finish = g.start, g.end
                if not (0 <= begin <= size and 0 <= finish <= size):
                    begin = finish = None
            else:
                begin, finish = units.from_unit(unit, g.start), units.from_unit(unit, g.end)
            if begin is None or finish is None:
                name = f"document {record_id!r}: span [{g.start}, {g.end}) {g.label}"
                length = units.to_unit(unit, len(text))
                problem = (
                    f"is outside the text (length {length} in {UNIT_NAMES[unit]})"
                    if max(g.start, g.end) > length or min(g.start, g.end) < 0
                    else f"does not fall on character boundaries in {UNIT_NAMES[unit]}"
                )
                errors.append(SpanError(f"{name} {problem}", line, g.where))
                continue
            if finish <= begin:
                name = f"document {record_id!r}: span [{g.start}, {g.end}) {g.label}"
                errors.append(SpanError(f"{name} is empty (end must be after start)", line, g.where))
                continue
            covered = text[begin:finish]
            if g.text is not None and covered != g.text and not self._matches(covered, g.text):
                name = f"document {record_id!r}: span [{g.start}, {g.end}) {g.label}"
                errors.append(
                    SpanError(f"{name} covers {covered!r} in {UNIT_NAMES[unit]} but its text is {g.text!r}", line, g.where)
                )
                continue
            if g.text is not None and covered != g.text:
                self.stats.trimmed += 1
            span = Span(begin, finish, g.label, covered, g.score, g.source, g.origin)
            where[id(span)] = g.where
            spans.append(span)
        kept, refused, changed = overlap_policies.resolve(spans, self.policy, text)
        if changed:
            self.stats.overlaps[self.policy] += changed
        for span, other in refused:
            errors.append(
                SpanError(
                    f"document {record_id!r}: span [{span.start}, {span.end}) {span.label} {span.text!r} overlaps "
                    f"[{other.start}, {other.end}) {other.label} {other.text!r} "
                    f"(--overlaps keep-longest, keep-first or split resolves it; --skip-invalid leaves it out)",
                    line,
                    where.get(id(span)),
                )
            )
        if errors:
            if self.on_error is None:
                raise errors[0]
            if not kept:
                # Nothing sound is left of the document: the document is the error, not its spans.
                more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
                raise FormatError(f"{errors[0].message}{more}; no span of the document is sound", line, errors[0].field)
            for error in errors:
                self.on_error(error)
        self.stats.units[AGREE if units.agree else unit] += 1
        if not units.agree and all(g.text is None for g in given):
            self._check_words(units, unit, given)
        return kept

    def _known_labels(self, record_id: str, given: list[Given], line: int | None, errors: list) -> list[Given]:
        """The spans of a label the project has; each other one is an error (appended to `errors`)."""
        known = []
        for g in given:
            if g.label in self.labels:
                known.append(g)
            else:
                errors.append(
                    SpanError(
                        f"document {record_id!r}: span [{g.start}, {g.end}) unknown label {g.label!r} "
                        f"(known: {', '.join(sorted(self.labels))})",
                        line,
                        g.where,
                    )
                )
        return known

    def _check_words(self, units: Units, unit: str, given: list[Given]) -> None:
        """Note a document whose spans cut words in `unit` but none in another unit: its unit may be that one.

        Without span texts nothing tells the units apart, and a wrong one
        shifts spans silently; people's spans start and end at word edges.
        """
        if _cuts(units, unit, given) == 0:
            return
        for other in self.order:
            if other != unit and _cuts(units, other, given) == 0:
                self.stats.suspect[(unit, other)] += 1
                return

    def _unit(self, record_id: str, text: str, units: Units, given: list[Given], line: int | None) -> str:
        """The unit the document's offsets are counted in (see the module's docstring)."""
        preferred = self.order[0]
        with_text = [g for g in given if g.text is not None]
        if not with_text or units.agree:
            return preferred
        best, best_matched = preferred, -1
        for unit in self.order:
            matched = 0
            for g in with_text:
                begin, finish = units.from_unit(unit, g.start), units.from_unit(unit, g.end)
                if begin is not None and finish is not None and self._matches(text[begin:finish], g.text):
                    matched += 1
            if matched == len(with_text):
                return unit
            if matched > best_matched:
                best, best_matched = unit, matched
        if best_matched * 2 < len(with_text):
            g = next(g for g in with_text if not _covers(units, preferred, g, self._matches))
            begin, finish = units.from_unit(preferred, g.start), units.from_unit(preferred, g.end)
            covered = text[begin:finish] if begin is not None and finish is not None else None
            raise FormatError(
                f"document {record_id!r}: the span texts match the offsets in no unit (code points, UTF-16 code units, "
                f"grapheme clusters); e.g. span [{g.start}, {g.end}) {g.label} covers {covered!r} in "
                f"{UNIT_NAMES[preferred]} but its text is {g.text!r}",
                line,
                g.where,
            )
        return best


def _cuts(units: Units, unit: str, given: list[Given]) -> int | None:
    """How many span edges fall inside a word when offsets count `unit`; None if one is no boundary there."""
    text, cuts = units.text, 0
    for g in given:
        for offset in (g.start, g.end):
            position = units.from_unit(unit, offset)
            if position is None:
                return None
            if 0 < position < len(text) and text[position - 1].isalnum() and text[position].isalnum():
                cuts += 1
    return cuts


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _covers(units: Units, unit: str, g: Given, matches) -> bool:
    begin, finish = units.from_unit(unit, g.start), units.from_unit(unit, g.end)
    return begin is not None and finish is not None and matches(units.text[begin:finish], g.text)


def span_loader(editor_offsets: str, converter: Callable, *, trim: bool = False) -> Callable[..., Iterator[Record]]:
    """The load() of a JSON format whose spans go through a SpanReader (doccano, Label Studio).

    One signature and one reader for such formats: the returned load(lines,
    name, on_error, layer, **LOAD_OPTIONS) builds the reader (offsets counted
    in `editor_offsets` unless the call names a unit; `trim` for editors that
    add white space around a region) and reads the JSON values of `lines`
    with `converter(name, layer, reader)`, which returns the function that
    turns one value at a line into records (a fresh one per call, so it may
    keep state across the lines of one file).
    """

    def load(
        lines: Iterable[str],
        name: str = "",
        on_error=None,
        layer: str = "gold",
        offsets: str | None = None,
        overlaps: str | None = None,
        labels: set[str] | None = None,
        stats: ReadStats | None = None,
    ) -> Iterator[Record]:
        reader = SpanReader(
            offsets=offsets, default=editor_offsets, overlaps=overlaps, labels=labels, on_error=on_error, stats=stats, trim=trim
        )
        return jsonio.records(lines, converter(name, layer, reader), on_error)

    return load
