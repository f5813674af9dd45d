"""Prodigy tasks (ner_manual): text, tokens, spans with character and token offsets, hashes, answer.

In: character offsets are the truth; where a span also gives token_start and
token_end (inclusive) and the task has tokens, they must point at the same
characters. Tasks answered "reject" or "ignore" are not annotations and are
skipped. Out: tokens are spaCy's, cut at span edges so every span has whole
tokens; a span that begins or ends with whitespace cannot, so it keeps its
character offsets without token ones, and is reported.
The hashes are stable 32-bit murmurhash values, as Prodigy's are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from murmurhash import hash as murmur

from . import jsonio
from .records import ANNOTATED, UNANNOTATED, FormatError, Record, Span
from .tokens import align

KIND = "text"
SUFFIX = ".jsonl"
MEDIA_TYPE = "application/jsonl"
HAS_SPANS = True


def load(lines: Iterable[str], name: str = "", on_error=None, layer: str = "gold") -> Iterator[Record]:
    return jsonio.records(lines, lambda value, line: _task(value, line, name), on_error)


def _task(value, line: int, name: str) -> list[Record]:
    task = jsonio.obj(value, line, "each task")
    if task.get("answer", "accept") != "accept":
        return []
    text = jsonio.text(task.get("text"), line)
    tokens = task.get("tokens")
    if tokens is not None and not isinstance(tokens, list):
        raise FormatError("must be a list", line, "tokens")
    raw_spans = task.get("spans") or []
    if not isinstance(raw_spans, list):
        raise FormatError("must be a list", line, "spans")
    spans = [_span(raw, index, line, text, tokens) for index, raw in enumerate(raw_spans)]
    meta = jsonio.meta(task.get("meta"), line)
    default = f"{name}:{line}" if name else str(line)
    # A task with neither spans nor an answer is a source text, not an annotation with no spans.
    status = ANNOTATED if "spans" in task or "answer" in task else UNANNOTATED
    return [
        Record(id=jsonio.ident(task.get("id"), default, line), text=text, spans=spans, meta=meta, line=line, status=status)
    ]


def _span(raw, index: int, line: int, text: str, tokens) -> Span:
    where = f"spans[{index}]"
    raw = jsonio.obj(raw, line, where)
    for key in ("start", "end", "label"):
        if key not in raw:
            raise FormatError(f"is missing {key!r}", line, where)
    start = jsonio.integer(raw["start"], line, f"{where}.start")
    end = jsonio.integer(raw["end"], line, f"{where}.end")
    if tokens is not None and "token_start" in raw and "token_end" in raw:
        first = _token(tokens, raw["token_start"], line, f"{where}.token_start")
        last = _token(tokens, raw["token_end"], line, f"{where}.token_end")
        if (first.get("start"), last.get("end")) != (start, end):
            raise FormatError(
                f"tokens {raw['token_start']}..{raw['token_end']} cover [{first.get('start')}, {last.get('end')}) "
                f"but the span is [{start}, {end})",
                line,
                where,
            )
    return Span(start, end, jsonio.label(raw["label"], line, f"{where}.label"), **jsonio.span_extras(raw, line, where))


def _token(tokens: list, index, line: int, field: str) -> dict:
    index = jsonio.integer(index, line, field)
    if not 0 <= index < len(tokens) or not isinstance(tokens[index], dict):
        raise FormatError(f"no token {index} (the task has {len(tokens)})", line, field)
    return tokens[index]


def dump(records: Iterable[Record], report=None, layer: str = "gold") -> Iterator[str]:
    """Yield one ner_manual task per record, answered "accept"."""
    for record in records:
        alignment = align(record.text, record.spans)
        for span, reason in alignment.refused:
            if report:
                report(record, span, f"{reason}; kept by its character offsets only")
        text = record.text
        tokens = [
            {"text": text[s:e], "start": s, "end": e, "id": i, "ws": space}
            for i, (s, e, space) in enumerate(alignment.tokens)
        ]
        spans = []
        for span, first, after in alignment.spans:
            fields = jsonio.span_fields(span)
            fields["token_start"], fields["token_end"] = first, after - 1
            spans.append(fields)
        spans.extend(jsonio.span_fields(span) for span, _ in alignment.refused)
        spans.sort(key=lambda s: (s["start"], s["end"]))
        input_hash = murmur(json.dumps({"text": text}, sort_keys=True, ensure_ascii=False))
        task_hash = murmur(json.dumps({"input": input_hash, "spans": spans}, sort_keys=True, ensure_ascii=False))
        yield jsonio.line(
            {
                "id": record.id,
                "text": text,
                "meta": record.meta,
                "_input_hash": input_hash,
                "_task_hash": task_hash,
                "tokens": tokens,
                "spans": spans,
                "_view_id": "ner_manual",
                "answer": "accept",
            }
        )
