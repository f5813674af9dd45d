"""The canonical JSONL shape: {"id", "text", "spans": [{"start", "end", "label"}], "meta"}.

Offsets are Python str indices (code points), end exclusive. Extra span
fields (text, score, source, origin, annotator) are read and written. One
object per line, read line by line: the fastest of the formats, and the one
`manage.py extract` and the bench use.
"""

import json
from collections.abc import Iterable, Iterator
from operator import attrgetter

from . import jsonio
from .records import ANNOTATED, UNANNOTATED, FormatError, Record, Span

KIND = "text"
SUFFIX = ".jsonl"
MEDIA_TYPE = "application/jsonl"
HAS_SPANS = True

_by_offsets = attrgetter("start", "end")


def _span(raw, line: int, index: int) -> Span:
    # The common span, {"start": int, "end": int, "label": str} and nothing else, is checked here at
    # once (type(...) is int also refuses booleans, as jsonio.integer does); anything else goes the
    # long way, which checks every field and says what is wrong.
    if type(raw) is dict and len(raw) == 3:
        start, end, label = raw.get("start"), raw.get("end"), raw.get("label")
        if type(start) is int and type(end) is int and type(label) is str and label:
            return Span(start, end, label)
    where = f"spans[{index}]"
    if not isinstance(raw, dict):
        raise FormatError("must be an object with start, end and label", line, where)
    for key in ("start", "end", "label"):
        if key not in raw:
            raise FormatError(f"is missing {key!r}", line, where)
    return Span(
        jsonio.integer(raw["start"], line, f"{where}.start"),
        jsonio.integer(raw["end"], line, f"{where}.end"),
        jsonio.label(raw["label"], line, f"{where}.label"),
        **jsonio.span_extras(raw, line, where),
    )


def parse_line(raw_line: str, line: int, default_id: str = "") -> Record | None:
    """Parse one line; None for a blank line."""
    if not raw_line.strip():
        return None
    try:
        data = jsonio.loads(raw_line, line)
    except json.JSONDecodeError as error:
        raise FormatError(f"broken JSON: {error.msg} (column {error.colno})", line) from None
    if not isinstance(data, dict):
        raise FormatError("each line must be a JSON object", line)
    spans = data.get("spans") or []
    if not isinstance(spans, list):
        raise FormatError("must be a list", line, "spans")
    return Record(
        id=jsonio.ident(data.get("id"), default_id, line),
        text=jsonio.text(data.get("text"), line),
        spans=[_span(raw, line, i) for i, raw in enumerate(spans)],
        meta=jsonio.meta(data.get("meta"), line),
        line=line,
        # No "spans" key: a text to import, not a claim that it has no spans ("spans": [] is one).
        status=ANNOTATED if "spans" in data else UNANNOTATED,
    )


def load(lines: Iterable[str], name: str = "", on_error=None, layer: str = "gold") -> Iterator[Record]:
    """Yield a record per non-blank line; raise FormatError naming the line of the first problem.

    With `on_error`, a bad line is handed to it and reading goes on.
    """
    seen = False
    for number, raw_line in enumerate(lines, start=1):
        try:
            record = parse_line(raw_line, number, default_id=f"{name}:{number}" if name else str(number))
        except FormatError as error:
            if on_error is None:
                raise
            on_error(error)
            seen = True
            continue
        if record is not None:
            seen = True
            yield record
    if not seen:
        raise FormatError("the file is empty")


def dump(records: Iterable[Record], report=None, layer: str = "gold") -> Iterator[str]:
    """Yield one JSON line (with its newline) per record, spans in text order."""
    fields = jsonio.span_fields
    write = jsonio.line
    for record in records:
        line = {
            "id": record.id,
            "text": record.text,
            "spans": [fields(s) for s in sorted(record.spans, key=_by_offsets)],
            "meta": record.meta,
        }
        yield write(line)
