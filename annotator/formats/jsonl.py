"""The canonical JSONL shape: {"id", "text", "spans": [{"start", "end", "label"}], "meta"}.

Offsets are Python str indices (code points), end exclusive. Extra span
fields (text, score, source, origin, annotator) are read and written.
"""

import json
from collections.abc import Iterable, Iterator

from .records import FormatError, Record, Span

_SPAN_EXTRAS = ("text", "score", "source", "origin", "annotator")


def _int(value, line: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(f"must be an integer, got {value!r}", line, field)
    return value


def _span(raw, line: int, index: int) -> Span:
    where = f"spans[{index}]"
    if not isinstance(raw, dict):
        raise FormatError("must be an object with start, end and label", line, where)
    for key in ("start", "end", "label"):
        if key not in raw:
            raise FormatError(f"is missing {key!r}", line, where)
    if not isinstance(raw["label"], str) or not raw["label"]:
        raise FormatError(f"label must be a non-empty string, got {raw['label']!r}", line, f"{where}.label")
    extras = {key: raw[key] for key in _SPAN_EXTRAS if raw.get(key) is not None}
    if "text" in extras and not isinstance(extras["text"], str):
        raise FormatError("must be a string", line, f"{where}.text")
    if "score" in extras and (isinstance(extras["score"], bool) or not isinstance(extras["score"], (int, float))):
        raise FormatError("must be a number", line, f"{where}.score")
    return Span(
        start=_int(raw["start"], line, f"{where}.start"),
        end=_int(raw["end"], line, f"{where}.end"),
        label=raw["label"],
        **extras,
    )


def parse_line(raw_line: str, line: int, default_id: str = "") -> Record | None:
    """Parse one line; None for a blank line."""
    if not raw_line.strip():
        return None
    try:
        data = json.loads(raw_line)
    except json.JSONDecodeError as error:
        raise FormatError(f"broken JSON: {error.msg} (column {error.colno})", line) from None
    if not isinstance(data, dict):
        raise FormatError("each line must be a JSON object", line)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise FormatError("must be a non-empty string", line, "text")
    spans = data.get("spans", [])
    if spans is None:
        spans = []
    if not isinstance(spans, list):
        raise FormatError("must be a list", line, "spans")
    meta = data.get("meta", {}) or {}
    if not isinstance(meta, dict):
        raise FormatError("must be an object", line, "meta")
    doc_id = data.get("id", default_id)
    if doc_id is None:
        doc_id = default_id
    if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
        raise FormatError("must be a string", line, "id")
    return Record(
        id=str(doc_id),
        text=text,
        spans=[_span(raw, line, i) for i, raw in enumerate(spans)],
        meta=meta,
        line=line,
    )


def load(lines: Iterable[str], name: str = "") -> Iterator[Record]:
    """Yield a record per non-blank line; raise FormatError naming the line of the first problem."""
    seen = False
    for number, raw_line in enumerate(lines, start=1):
        record = parse_line(raw_line, number, default_id=f"{name}:{number}" if name else str(number))
        if record is not None:
            seen = True
            yield record
    if not seen:
        raise FormatError("the file is empty")


def span_dict(span: Span) -> dict:
    out = {"start": span.start, "end": span.end, "label": span.label}
    for key in _SPAN_EXTRAS:
        value = getattr(span, key)
        if value is not None:
            out[key] = value
    return out


def dump(records: Iterable[Record]) -> Iterator[str]:
    """Yield one JSON line (with its newline) per record."""
    for record in records:
        line = {
            "id": record.id,
            "text": record.text,
            "spans": [span_dict(s) for s in sorted(record.spans, key=lambda s: (s.start, s.end))],
            "meta": record.meta,
        }
        yield json.dumps(line, ensure_ascii=False) + "\n"
