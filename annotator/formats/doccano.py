"""doccano sequence labelling: `{"text", "label": [[start, end, "LABEL"], ...]}` and the `entities` export.

In, both shapes doccano reads and writes: spans under "label" (or "labels")
as [start, end, label] lists or {start_offset, end_offset, label} objects,
or under "entities" as {id, start_offset, end_offset, label} objects (the
export of a project with relations). The text may be under "text" or, in
doccano 1.0's export, "data". Other keys are kept as the record's meta.

A line without any of those keys was never annotated (UNANNOTATED: its text
is imported, its layer left alone); `"label": []` is an explicit annotation
with no span (EMPTY, which becomes an empty gold only on request).

Offsets: doccano's editor (1.8) counts UTF-16 code units (JavaScript string
positions), or grapheme clusters in its grapheme mode; only its API counts
code points. Spans carry no text to tell them apart, so `offsets=` names the
unit (import_docs --offsets), by default the editor's, UTF-16; a span whose
offsets are no character boundary in that unit is an error naming it.
Overlapping spans, which doccano allows, follow the overlap policy.
Out: the "label" shape (`shape="entities"` for the other one), offsets in
the unit doccano's editor reads (UTF-16) unless `offsets=` names another.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from . import jsonio, reading
from .reading import Given, SpanReader
from .records import ANNOTATED, EMPTY, UNANNOTATED, FormatError, Record
from .units import UTF16, in_unit

KIND = "text"
SUFFIX = ".jsonl"
MEDIA_TYPE = "application/jsonl"
HAS_SPANS = True
LOAD_OPTIONS = reading.LOAD_OPTIONS
DUMP_OPTIONS = ("offsets",)
EDITOR_OFFSETS = UTF16  # the unit doccano's editor writes and reads

_KNOWN = {"id", "text", "data", "label", "labels", "entities", "relations", "Comments", "comments", "meta"}


def _converter(name: str, layer: str, reader: SpanReader):
    return lambda value, line: [_record(value, line, name, reader)]


load = reading.span_loader(EDITOR_OFFSETS, _converter)


def _record(value, line: int, name: str, reader: SpanReader) -> Record:
    data = jsonio.obj(value, line)
    key = "text" if "text" in data else "data"
    text = jsonio.text(data.get(key), line, key)
    field = next((k for k in ("entities", "label", "labels") if k in data), None)
    raw_spans = data.get(field) if field else None
    meta = dict(jsonio.meta(data["meta"], line)) if isinstance(data.get("meta"), dict) else {}
    meta.update({k: v for k, v in data.items() if k not in _KNOWN})
    default = f"{name}:{line}" if name else str(line)
    record_id = jsonio.ident(data.get("id"), default, line)
    if raw_spans is None:
        return Record(id=record_id, text=text, spans=[], meta=meta, line=line, status=UNANNOTATED)
    if not isinstance(raw_spans, list):
        raise FormatError("must be a list of spans", line, field)
    given = [_span(raw, line, f"{field}[{i}]") for i, raw in enumerate(raw_spans)]
    spans = reader.spans(record_id, text, given, line)
    return Record(id=record_id, text=text, spans=spans, meta=meta, line=line, status=ANNOTATED if given else EMPTY)


def _span(raw, line: int, where: str) -> Given:
    if isinstance(raw, list) and len(raw) == 3:
        start, end, label = raw
    elif isinstance(raw, dict):
        missing = [k for k in ("start_offset", "end_offset", "label") if k not in raw]
        if missing:
            raise FormatError(f"is missing {missing[0]!r}", line, where)
        start, end, label = raw["start_offset"], raw["end_offset"], raw["label"]
    else:
        raise FormatError(f"must be [start, end, label] or an object with start_offset, end_offset, label; got {raw!r}", line, where)
    return Given(
        jsonio.integer(start, line, f"{where}.start"),
        jsonio.integer(end, line, f"{where}.end"),
        jsonio.label(label, line, f"{where}.label"),
        None,
        where,
    )


def dump(records: Iterable[Record], report=None, layer: str = "gold", shape: str = "label", offsets: str | None = None) -> Iterator[str]:
    """Yield one doccano line per record, in the "label" shape or doccano's "entities" export shape.

    Offsets are counted in `offsets` (default UTF-16, what doccano's editor
    reads); a span that unit cannot hold (an edge inside a grapheme cluster)
    is told to `report` and left out.
    """
    unit = offsets or EDITOR_OFFSETS
    for record in records:
        spans = [(start, end, span.label) for _, span, start, end in in_unit(record, unit, report)]
        line = {"id": record.id, "text": record.text}
        if shape == "entities":
            line["entities"] = [
                {"id": i, "label": label, "start_offset": start, "end_offset": end} for i, (start, end, label) in enumerate(spans)
            ]
            line["relations"] = []
        else:
            line["label"] = [[start, end, label] for start, end, label in spans]
        line["meta"] = record.meta
        yield jsonio.line(line)
