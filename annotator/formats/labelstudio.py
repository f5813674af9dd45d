"""Label Studio tasks: `data.text`, `annotations[]` and `predictions[]` of `labels` results.

Annotations and predictions stay apart: with layer="model" a task's
predictions are read (one record per prediction, its model_version in the
meta), otherwise its annotations (the ground-truth one, else the first that
was not cancelled). A result's value.start/end count code points; some Label
Studio versions count UTF-16 code units in the browser, so when value.text
disagrees with the code points and agrees with UTF-16 units, those are
converted. Reads a JSON array (Label Studio's export) or one task per line;
writes a JSON array, one task per line, with value.text on every result.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from . import jsonio
from .records import FormatError, Record, Span
from .units import Units, locate

KIND = "text"
SUFFIX = ".json"
MEDIA_TYPE = "application/json"
HAS_SPANS = True

FROM_NAME, TO_NAME = "label", "text"


def load(lines: Iterable[str], name: str = "", on_error=None, layer: str = "gold") -> Iterator[Record]:
    return jsonio.records(lines, lambda value, line: _task(value, line, name, layer == "model"), on_error)


def _task(value, line: int, name: str, predictions: bool) -> list[Record]:
    task = jsonio.obj(value, line, "each task")
    data = jsonio.obj(task.get("data"), line, "data")
    text = data.get("text")
    if text is None:
        strings = [v for v in data.values() if isinstance(v, str)]
        text = strings[0] if len(strings) == 1 else None
    text = jsonio.text(text, line, "data.text")
    default = f"{name}:{line}" if name else str(line)
    record_id = jsonio.ident(data.get("id", task.get("id")), default, line)
    meta = jsonio.meta(task.get("meta"), line)
    units = Units(text)
    if predictions:
        items = task.get("predictions") or []
        if not isinstance(items, list):
            raise FormatError("must be a list", line, "predictions")
        records = []
        for i, prediction in enumerate(items):
            where = f"predictions[{i}]"
            prediction = jsonio.obj(prediction, line, where)
            model = prediction.get("model_version")
            spans = _spans(prediction, units, line, where, default_score=prediction.get("score"))
            records.append(
                Record(record_id, text, spans, dict(meta, model=model) if model else dict(meta), line)
            )
        return records
    items = task.get("annotations") or task.get("completions") or []
    if not isinstance(items, list):
        raise FormatError("must be a list", line, "annotations")
    chosen = [(i, a) for i, a in enumerate(items) if isinstance(a, dict) and not a.get("was_cancelled")]
    chosen.sort(key=lambda pair: not pair[1].get("ground_truth"))
    if not chosen:
        return [Record(record_id, text, [], meta, line)]
    index, annotation = chosen[0]
    annotator = (annotation.get("meta") or {}).get("annotator") if isinstance(annotation.get("meta"), dict) else None
    if isinstance(annotator, str):
        meta = dict(meta, annotator=annotator)
    return [Record(record_id, text, _spans(annotation, units, line, f"annotations[{index}]"), meta, line)]


def _spans(owner: dict, units: Units, line: int, where: str, default_score=None) -> list[Span]:
    results = owner.get("result") or []
    if not isinstance(results, list):
        raise FormatError("must be a list", line, f"{where}.result")
    spans = []
    for i, item in enumerate(results):
        at = f"{where}.result[{i}]"
        item = jsonio.obj(item, line, at)
        value = item.get("value")
        if not isinstance(value, dict) or "start" not in value or "labels" not in value:
            continue  # relations, choices, text areas: not spans
        labels = value["labels"]
        if not isinstance(labels, list) or not labels:
            raise FormatError("must be a non-empty list of labels", line, f"{at}.value.labels")
        expected = value.get("text")
        if expected is not None and not isinstance(expected, str):
            raise FormatError("must be a string", line, f"{at}.value.text")
        start = jsonio.integer(value["start"], line, f"{at}.value.start")
        end = jsonio.integer(value.get("end"), line, f"{at}.value.end")
        start, end = locate(units, start, end, expected)
        score = item.get("score", default_score)
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise FormatError("must be a number", line, f"{at}.score")
        for label in labels:
            spans.append(Span(start, end, jsonio.label(label, line, f"{at}.value.labels"), text=expected, score=score))
    return spans


def dump(records: Iterable[Record], report=None, layer: str = "gold") -> Iterator[str]:
    """Yield a JSON array of tasks, one per line; consecutive records of one document share a task."""
    yield "[\n"
    first = True
    for task in _tasks(records, layer):
        yield ("" if first else ",\n") + jsonio.line(task).rstrip("\n")
        first = False
    yield "\n]\n"


def _tasks(records: Iterable[Record], layer: str) -> Iterator[dict]:
    task, key = None, None
    for record in records:
        if task is not None and key != (record.id, record.text):
            yield task
            task = None
        if task is None:
            key = (record.id, record.text)
            task = {"data": {"text": record.text, "id": record.id}, "meta": _meta(record, layer), "annotations": [], "predictions": []}
        results = [_result(record, span, n, layer) for n, span in enumerate(sorted(record.spans, key=lambda s: (s.start, s.end)))]
        if layer == "model":
            prediction = {"model_version": str(record.meta.get("model") or "imported"), "result": results}
            scores = [s.score for s in record.spans if s.score is not None]
            if scores and len(scores) == len(record.spans):
                prediction["score"] = sum(scores) / len(scores)  # Label Studio sorts tasks by it
            task["predictions"].append(prediction)
        else:
            annotation = {"result": results, "was_cancelled": False, "ground_truth": layer == "gold"}
            annotator = record.meta.get("annotator") if layer == "annotations" else None
            if annotator:
                annotation["meta"] = {"annotator": annotator}
            task["annotations"].append(annotation)
    if task is not None:
        yield task


def _meta(record: Record, layer: str) -> dict:
    drop = {"model"} if layer == "model" else {"annotator"} if layer == "annotations" else set()
    return {k: v for k, v in record.meta.items() if k not in drop}


def _result(record: Record, span: Span, n: int, layer: str) -> dict:
    result = {
        "id": f"{record.id}-{n}"[-40:],
        "from_name": FROM_NAME,
        "to_name": TO_NAME,
        "type": "labels",
        "origin": "prediction" if layer == "model" else "manual",
        "value": {"start": span.start, "end": span.end, "text": record.text[span.start : span.end], "labels": [span.label]},
    }
    if span.score is not None:
        result["score"] = span.score
    return result
