"""doccano sequence labelling: `{"text", "label": [[start, end, "LABEL"], ...]}` and the `entities` export.

In, both shapes doccano reads and writes: spans under "label" (or "labels")
as [start, end, label] lists or {start_offset, end_offset, label} objects,
or under "entities" as {id, start_offset, end_offset, label} objects (the
export of a project with relations). The text may be under "text" or, in
doccano 1.0's export, "data". Other keys are kept as the record's meta.
Out: the "label" shape (`shape="entities"` for the other one).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from . import jsonio
from .records import FormatError, Record, Span

KIND = "text"
SUFFIX = ".jsonl"
MEDIA_TYPE = "application/jsonl"
HAS_SPANS = True

_KNOWN = {"id", "text", "data", "label", "labels", "entities", "relations", "Comments", "comments", "meta"}


def load(lines: Iterable[str], name: str = "", on_error=None, layer: str = "gold") -> Iterator[Record]:
    return jsonio.records(lines, lambda value, line: [_record(value, line, name)], on_error)


def _record(value, line: int, name: str) -> Record:
    data = jsonio.obj(value, line)
    key = "text" if "text" in data else "data"
    text = jsonio.text(data.get(key), line, key)
    field = next((k for k in ("entities", "label", "labels") if k in data), None)
    raw_spans = data.get(field) if field else []
    if raw_spans is None:
        raw_spans = []
    if not isinstance(raw_spans, list):
        raise FormatError("must be a list of spans", line, field)
    spans = [_span(raw, line, f"{field}[{i}]") for i, raw in enumerate(raw_spans)]
    meta = dict(jsonio.meta(data["meta"], line)) if isinstance(data.get("meta"), dict) else {}
    meta.update({k: v for k, v in data.items() if k not in _KNOWN})
    default = f"{name}:{line}" if name else str(line)
    return Record(id=jsonio.ident(data.get("id"), default, line), text=text, spans=spans, meta=meta, line=line)


def _span(raw, line: int, where: str) -> Span:
    if isinstance(raw, list) and len(raw) == 3:
        start, end, label = raw
    elif isinstance(raw, dict):
        missing = [k for k in ("start_offset", "end_offset", "label") if k not in raw]
        if missing:
            raise FormatError(f"is missing {missing[0]!r}", line, where)
        start, end, label = raw["start_offset"], raw["end_offset"], raw["label"]
    else:
        raise FormatError(f"must be [start, end, label] or an object with start_offset, end_offset, label; got {raw!r}", line, where)
    return Span(
        jsonio.integer(start, line, f"{where}.start"),
        jsonio.integer(end, line, f"{where}.end"),
        jsonio.label(label, line, f"{where}.label"),
    )


def dump(records: Iterable[Record], report=None, layer: str = "gold", shape: str = "label") -> Iterator[str]:
    """Yield one doccano line per record, in the "label" shape or doccano's "entities" export shape."""
    for record in records:
        spans = sorted(record.spans, key=lambda s: (s.start, s.end))
        line = {"id": record.id, "text": record.text}
        if shape == "entities":
            line["entities"] = [
                {"id": i, "label": s.label, "start_offset": s.start, "end_offset": s.end} for i, s in enumerate(spans)
            ]
            line["relations"] = []
        else:
            line["label"] = [[s.start, s.end, s.label] for s in spans]
        line["meta"] = record.meta
        yield jsonio.line(line)
