"""The records every format reads into and writes from."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..spans import Span
from . import limits
from .errors import FormatError


@dataclass
class Record:
    """One document with one layer of spans. `line` is where it began in its file."""

    id: str
    text: str
    spans: list[Span] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    line: int | None = None
    # Whether the record carries an annotation of its layer: ANNOTATED (its spans, even none, are the
    # layer's), UNANNOTATED (a task nobody annotated, or skipped: import the text only, never touch the
    # layer) or EMPTY (an explicit annotation with no span, which some editors write for "not done"
    # as well: it becomes an empty gold only when the import asks for it).
    status: str = "annotated"


ANNOTATED = "annotated"
UNANNOTATED = "unannotated"
EMPTY = "empty"


def describe(record: Record, span: Span) -> str:
    """Name a span for people: "document 'x': span [3, 8) LOCATION 'Mosul'"."""
    return f"document {record.id!r}: span [{span.start}, {span.end}) {span.label} {record.text[span.start:span.end]!r}"


def check_record(record: Record) -> None:
    """Raise FormatError unless the record's text, id, meta and span fields obey the text rules of every input.

    The text is not empty nor only white space and within IMPORT_MAX_DOCUMENT_CHARS; no string
    holds a NUL or a lone surrogate (formats.limits), so every database stores what is accepted.
    """
    limits.check_document_text(record.text, record.line, "text")
    if isinstance(record.id, str):
        limits.check_text(record.id, record.line, "id")
    if record.meta:
        limits.check_value(record.meta, record.line, "meta")
    spans = record.spans
    if not spans:
        return
    # One look at all the span strings together (a record has dozens of spans); the field is named
    # only when something is wrong.
    strings = [s.label for s in spans]
    for s in spans:
        if s.text is not None or s.source is not None or s.origin is not None or s.annotator is not None:
            strings += [v for v in (s.text, s.source, s.origin, s.annotator) if v is not None]
    try:
        if limits.text_problem("".join(strings)) is None:
            return
    except TypeError:  # a value that is not a string: the loop below says which
        pass
    for index, span in enumerate(spans):
        for key in ("label", "text", "source", "origin", "annotator"):
            value = getattr(span, key)
            if isinstance(value, str):
                limits.check_text(value, record.line, f"spans[{index}].{key}")


def check_spans(record: Record, labels: set[str] | None = None) -> None:
    """Raise FormatError unless the record obeys the text rules (check_record), every span is inside the
    text, agrees with its `text`, and none overlap.

    `labels`, when given, is the set of labels a span may carry.
    """
    check_record(record)
    previous = None
    for index, span in enumerate(sorted(record.spans, key=lambda s: (s.start, s.end))):
        where = f"spans[{index}]"
        if span.end <= span.start:
            raise FormatError(
                f"document {record.id!r}: span [{span.start}, {span.end}) is empty (end must be after start)",
                record.line,
                where,
            )
        if span.start < 0 or span.end > len(record.text):
            raise FormatError(
                f"document {record.id!r}: span [{span.start}, {span.end}) is outside the text (length {len(record.text)})",
                record.line,
                where,
            )
        if span.text is not None and record.text[span.start : span.end] != span.text:
            raise FormatError(
                f"document {record.id!r}: span [{span.start}, {span.end}) covers "
                f"{record.text[span.start:span.end]!r} but its text is {span.text!r}",
                record.line,
                where,
            )
        if labels is not None and span.label not in labels:
            raise FormatError(
                f"document {record.id!r}: unknown label {span.label!r} (known: {', '.join(sorted(labels))})",
                record.line,
                where,
            )
        if previous is not None and span.start < previous.end:
            raise FormatError(
                f"document {record.id!r}: span [{span.start}, {span.end}) {span.label} overlaps "
                f"[{previous.start}, {previous.end}) {previous.label}",
                record.line,
                where,
            )
        previous = span

