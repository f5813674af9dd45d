"""Label Studio tasks: `data.text`, `annotations[]` and `predictions[]` of `labels` results; and JSON_MIN.

In, the shapes Label Studio (1.x) exports:

- JSON (the full export, a snapshot): a JSON array of tasks (or one task
  per line). With layer="model" every prediction of a task is a record
  with its `model_version` in the meta (the importer stores each under its
  own version); a task without predictions is a record with no layer
  (UNANNOTATED: its text is imported). Otherwise a task's annotation is
  read: the ground-truth one, else the first that was not cancelled
  (skipped). A task with no annotation, or only skipped ones, is
  UNANNOTATED; an annotation with no span is EMPTY (see records.Record).
- The quick export, which lists predictions by id only, is refused with
  the model layer, pointing to the full export.
- JSON_MIN: one flat object per annotation: the task's data fields, its
  `id`, each control's regions under the control's name (`"label": [{start,
  end, text, labels}]`), `annotation_id` (null for a task nobody annotated)
  and `annotator`. Label Studio writes a task's annotations newest first;
  the first is read.

Offsets: Label Studio's editor and API write code points; some versions
counted UTF-16 units in the browser. Each document's unit is found from
the regions' `value.text` (reading.SpanReader), compared after trimming the
white space the editor adds around a region at a paragraph start ("\\nMOSUL");
a real mismatch is an error. `offsets=` names the unit of regions without text.

Out: a JSON array, one task per line, value.text on every result, and each
span's `source` (predictions) or `origin` (annotations) in the result's
`meta`, so a round trip through the model layer keeps every field.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from . import jsonio, reading
from .reading import Given, SpanReader
from .records import ANNOTATED, EMPTY, UNANNOTATED, FormatError, Record, Span
from .units import CODEPOINT, in_unit

KIND = "text"
SUFFIX = ".json"
MEDIA_TYPE = "application/json"
HAS_SPANS = True
# What load() and dump() take beyond the common arguments (services.imports and exports pass them on).
LOAD_OPTIONS = reading.LOAD_OPTIONS
DUMP_OPTIONS = ("offsets",)
EDITOR_OFFSETS = CODEPOINT  # the unit Label Studio's editor writes and reads

FROM_NAME, TO_NAME = "label", "text"
QUICK_EXPORT = (
    "predictions are listed by id only: this is Label Studio's quick export; export the project in full "
    "(Export > JSON in the project, or a snapshot: POST /api/projects/ID/exports/ with "
    '"serialization_options": {"predictions": {"only_id": false}}, then download it) and import that file'
)
# Keys of a JSON_MIN item that are not the task's data.
_MIN_KEYS = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement", "history", "was_cancelled"}


def _converter(name: str, layer: str, reader: SpanReader):
    previous = [None]  # the last JSON_MIN task id: the task's later (older) annotations are skipped

    def convert(value, line: int) -> list[Record]:
        task = jsonio.obj(value, line, "each task")
        if "data" not in task:
            return _min_item(task, line, name, layer, reader, previous)
        previous[0] = None
        return _task(task, line, name, layer, reader)

    return convert


load = reading.span_loader(EDITOR_OFFSETS, _converter, trim=True)


def _task(task: dict, line: int, name: str, layer: str, reader: SpanReader) -> list[Record]:
    data = jsonio.obj(task.get("data"), line, "data")
    text = data.get("text")
    if text is None:
        strings = [v for v in data.values() if isinstance(v, str)]
        text = strings[0] if len(strings) == 1 else None
    text = jsonio.text(text, line, "data.text")
    default = f"{name}:{line}" if name else str(line)
    record_id = jsonio.ident(data.get("id", task.get("id")), default, line)
    meta = jsonio.meta(task.get("meta"), line)
    if layer == "model":
        items = task.get("predictions")
        if items is None:
            items = []
        if not isinstance(items, list):
            raise FormatError("must be a list", line, "predictions")
        if not items:
            return [Record(record_id, text, [], dict(meta), line, status=UNANNOTATED)]
        records = []
        for i, prediction in enumerate(items):
            where = f"predictions[{i}]"
            if isinstance(prediction, int) and not isinstance(prediction, bool):
                raise FormatError(QUICK_EXPORT, line, where)
            prediction = jsonio.obj(prediction, line, where)
            model = prediction.get("model_version")
            if model is not None and (isinstance(model, bool) or not isinstance(model, (str, int, float))):
                raise FormatError("must be a string", line, f"{where}.model_version")
            given = _given(prediction, line, where, default_score=prediction.get("score"))
            spans = reader.spans(record_id, text, given, line)
            model = str(model) if model not in (None, "") else None
            records.append(Record(record_id, text, spans, dict(meta, model=model) if model else dict(meta), line))
        return records
    items = task.get("annotations")
    if items is None:
        items = task.get("completions") or []
    if not isinstance(items, list):
        raise FormatError("must be a list", line, "annotations")
    for i, annotation in enumerate(items):
        if isinstance(annotation, int) and not isinstance(annotation, bool):
            raise FormatError(QUICK_EXPORT.replace("predictions are", "annotations are"), line, f"annotations[{i}]")
    chosen = [
        (i, a) for i, a in enumerate(items) if isinstance(a, dict) and not a.get("was_cancelled") and not a.get("skipped")
    ]
    chosen.sort(key=lambda pair: not pair[1].get("ground_truth"))
    if not chosen:
        return [Record(record_id, text, [], meta, line, status=UNANNOTATED)]
    index, annotation = chosen[0]
    annotator = (annotation.get("meta") or {}).get("annotator") if isinstance(annotation.get("meta"), dict) else None
    if isinstance(annotator, str):
        meta = dict(meta, annotator=annotator)
    given = _given(annotation, line, f"annotations[{index}]")
    spans = reader.spans(record_id, text, given, line)
    return [Record(record_id, text, spans, meta, line, status=ANNOTATED if given else EMPTY)]


def _min_item(item: dict, line: int, name: str, layer: str, reader: SpanReader, previous: list) -> list[Record]:
    """A JSON_MIN item: the task's data at the top, its regions under the control's name."""
    regions = {
        key: value
        for key, value in item.items()
        if key not in _MIN_KEYS
        and isinstance(value, list)
        and value
        and all(isinstance(v, dict) and "start" in v and "end" in v for v in value)
    }
    text = item.get("text")
    if not isinstance(text, str):
        strings = [v for k, v in item.items() if k not in _MIN_KEYS and isinstance(v, str)]
        text = strings[0] if len(strings) == 1 else None
    if text is None:
        raise FormatError(
            "a task needs its text: under data.text (Label Studio's JSON export) or, in its JSON_MIN export, "
            "under text (or the only string field)",
            line,
            "data",
        )
    text = jsonio.text(text, line, "text")
    default = f"{name}:{line}" if name else str(line)
    record_id = jsonio.ident(item.get("id"), default, line)
    meta = {k: v for k, v in item.items() if k not in _MIN_KEYS and k not in regions and k != "text" and v is not None}
    if layer == "model":  # JSON_MIN holds no predictions
        return [Record(record_id, text, [], meta, line, status=UNANNOTATED)]
    task = item.get("id")
    if task is not None and task == previous[0]:
        return []  # an older annotation of the task just read
    previous[0] = task
    if item.get("annotation_id") is None and not regions:
        return [Record(record_id, text, [], meta, line, status=UNANNOTATED)]
    given = []
    for key, values in regions.items():
        for i, value in enumerate(values):
            given.extend(_region(value, line, f"{key}[{i}]", None, None))
    spans = reader.spans(record_id, text, given, line)
    return [Record(record_id, text, spans, meta, line, status=ANNOTATED if given else EMPTY)]


def _given(owner: dict, line: int, where: str, default_score=None) -> list[Given]:
    results = owner.get("result") or []
    if not isinstance(results, list):
        raise FormatError("must be a list", line, f"{where}.result")
    given = []
    for i, item in enumerate(results):
        at = f"{where}.result[{i}]"
        item = jsonio.obj(item, line, at)
        score = item.get("score", default_score)
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise FormatError("must be a number", line, f"{at}.score")
        meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
        given.extend(_region(item.get("value"), line, f"{at}.value", score, meta))
    return given


def _region(value, line: int, at: str, score, meta: dict | None) -> list[Given]:
    """The spans of one region (one per label), or none for a result that is not a span (relations, choices)."""
    if not isinstance(value, dict) or "start" not in value or "labels" not in value:
        return []
    labels = value["labels"]
    if not isinstance(labels, list) or not labels:
        raise FormatError("must be a non-empty list of labels", line, f"{at}.labels")
    expected = value.get("text")
    if expected is not None and not isinstance(expected, str):
        raise FormatError("must be a string", line, f"{at}.text")
    start = jsonio.integer(value["start"], line, f"{at}.start")
    end = jsonio.integer(value.get("end"), line, f"{at}.end")
    meta = meta or {}
    source = meta.get("source") if isinstance(meta.get("source"), str) else None
    origin = meta.get("origin") if isinstance(meta.get("origin"), str) else None
    return [
        Given(start, end, jsonio.label(label, line, f"{at}.labels"), expected, at, score, source, origin)
        for label in labels
    ]


def dump(records: Iterable[Record], report=None, layer: str = "gold", offsets: str | None = None) -> Iterator[str]:
    """Yield a JSON array of tasks, one per line; consecutive records of one document share a task.

    Offsets are code points (what Label Studio's editor reads) unless
    `offsets` names another unit; a span that unit cannot hold (an edge
    inside a grapheme cluster) is told to `report` and left out.
    """
    yield "[\n"
    first = True
    for task in _tasks(records, layer, offsets or EDITOR_OFFSETS, report):
        yield ("" if first else ",\n") + jsonio.line(task).rstrip("\n")
        first = False
    yield "\n]\n"


def _tasks(records: Iterable[Record], layer: str, unit: str, report) -> Iterator[dict]:
    task, key = None, None
    for record in records:
        if task is not None and key != (record.id, record.text):
            yield task
            task = None
        if task is None:
            key = (record.id, record.text)
            task = {"data": {"text": record.text, "id": record.id}, "meta": _meta(record, layer), "annotations": [], "predictions": []}
        results = [_result(record, span, n, layer, start, end) for n, span, start, end in in_unit(record, unit, report)]
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


def _result(record: Record, span: Span, n: int, layer: str, start: int, end: int) -> dict:
    result = {
        "id": f"{record.id}-{n}"[-40:],
        "from_name": FROM_NAME,
        "to_name": TO_NAME,
        "type": "labels",
        "origin": "prediction" if layer == "model" else "manual",
        "value": {"start": start, "end": end, "text": record.text[span.start : span.end], "labels": [span.label]},
    }
    if span.score is not None:
        result["score"] = span.score
    # The app's own span fields, kept in the region's meta (Label Studio keeps a region's meta as it is).
    meta = {key: value for key, value in (("source", span.source), ("origin", span.origin)) if value}
    if meta:
        result["meta"] = meta
    return result
