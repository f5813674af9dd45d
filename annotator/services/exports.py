"""Export one layer of a project in any format: to a file or folder, or as a stream for a download.

Records are read a chunk of documents at a time and written as they come,
so memory stays bounded whatever the project's size. A train/dev split is
decided per document by a seeded hash of its id: the same document lands in
the same part every time, even as the project grows.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import AnyStr, BinaryIO

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Aggregate, Exists, OuterRef, TextField

from .. import selectors
from ..formats import EXPORT_FORMATS, FORMATS, IMPORT_FORMATS, Record, Span
from ..formats.archive import write_directory, zip_stream
from ..formats.jsonio import line_bytes, loads
from ..formats.records import describe
from ..models import Annotation, AnnotationSpan, Document, ExtractorVersion, GoldSpan, PredictedSpan, Project
from . import gold
from .imports import roomy_cache

Progress = Callable[[int, int], None] | None
_BUFFER = 256 * 1024


@dataclass
class ExportResult:
    documents: int = 0
    spans: int = 0
    problems: int = 0  # spans the format could not hold (reported, left out)
    paths: list[str] = field(default_factory=list)

    def __str__(self):
        text = f"wrote {self.documents} documents, {self.spans} spans to {', '.join(self.paths)}"
        if self.problems:
            text += f"; {self.problems} spans could not be written in this format (see above)"
        return text


# ---------------------------------------------------------------- reading a layer


class LayerReader:
    """The records of one layer, like selectors.layer_records, at export speed.

    layer_records builds a model instance per span (about 15 µs each);
    exporting 100,000 documents of 30 spans at 20,000 documents a second
    leaves under 2 µs a span for everything, so this reads plain rows and
    label names from one dict, and the gold and annotation spans come as
    one row per owner with a JSON array per column, which the database
    builds (`_json_columns`): SQLite does per span what it does without
    holding Python's lock, and Python parses a few strings per document
    instead of building a row per span. Predictions are read as rows:
    SQLite's JSON writes floats with 15 digits, and scores must come back
    exact. The SQL of a chunk is compiled once for all chunks
    (`_Compiled`). It yields the same records as layer_records (a test
    checks it); it belongs in selectors, where layer_records could become
    it. `jsonl_lines` gives the canonical JSONL of the records without
    building them. Raises ValueError at once (not while streaming) for an
    unknown layer or missing predictions.
    """

    def __init__(
        self,
        project: Project,
        layer: str,
        *,
        model: str | None = None,
        annotator=None,
        chunk_size: int = 900,
        as_of: datetime | None = None,
        only=None,
    ):
        self.project, self.layer, self.chunk_size, self.as_of = project, layer, chunk_size, as_of
        if as_of is not None and layer != "gold":
            raise ValueError("--as-of reads the gold's history; other layers have none")
        self.documents = self.spans = 0
        documents = project.documents.order_by("order", "id")
        self.version = None
        self.annotations = None
        if layer == "gold":
            # The current gold, or the documents that had gold at `as_of` (their spans then, replayed).
            documents = documents.filter(gold_at__isnull=False) if as_of is None else documents.filter(gold.had_gold_at(as_of))
        elif layer == "model":
            self.version = (
                ExtractorVersion.objects.filter(version=model).first() if model else selectors.latest_extractor(project)
            )
            if self.version is None:
                raise ValueError(f"no predictions of {model!r} in this project" if model else "no predictions in this project")
            documents = documents.filter(predictions__extractor=self.version)
        elif layer == "annotations":
            # An annotator's own work only: a reviewer's working copy (kind review) is not an annotation.
            self.annotations = Annotation.objects.filter(status=Annotation.Status.SUBMITTED, kind=Annotation.Kind.ANNOTATION)
            if annotator is not None:
                self.annotations = self.annotations.filter(annotator=annotator)
            documents = documents.filter(Exists(self.annotations.filter(document=OuterRef("pk"))))
        else:
            raise ValueError(f"unknown layer {layer!r} (gold, model or annotations)")
        if only is not None:  # a selection of the document list: a subquery of ids
            documents = documents.filter(id__in=only)
        self.ids = list(documents.values_list("id", flat=True))
        self.total = len(self.ids)
        self.labels = dict(project.labels.values_list("id", "name"))
        self._compiled: _Compiled | None = None

    def __iter__(self) -> Iterator[Record]:
        for item in self._items():
            yield self._record(*item)

    def jsonl_lines(self) -> Iterator[tuple[str, int, bytes]]:
        """(record id, span count, line) per record: the line formats.jsonl writes for it, as UTF-8.

        Straight from the rows, without a Span and a dict per span between
        them: building the records and then their lines took half of a
        JSONL export. The same bytes as formats.jsonl.dump of the records
        (a test checks it, for every layer).
        """
        for item in self._items():
            yield self._line(*item)

    def _items(self) -> Iterator[tuple]:
        """What each record is made of (see _build), a chunk at a time, fetched while the last is built.

        The database works without the GIL, so on two cores fetching and
        building overlap (in part: for each row the thread fetches, it takes
        the GIL back). SQLite gets a larger page cache meanwhile (see
        `roomy_cache`). The thread uses this thread's connection (Django's
        thread sharing), never at the same time: the records are built from
        rows only. So it sees what this thread sees, transaction included.
        """
        chunks = [self.ids[b : b + self.chunk_size] for b in range(0, len(self.ids), self.chunk_size)]
        if not chunks:
            return
        wrapper = connections[DEFAULT_DB_ALIAS]
        wrapper.inc_thread_sharing()
        try:
            with roomy_cache(16), ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(_fetch, wrapper, self._queries(chunks[0]))
                for index in range(len(chunks)):
                    rows = pending.result()
                    if index + 1 < len(chunks):
                        pending = pool.submit(_fetch, wrapper, self._queries(chunks[index + 1]))
                    yield from self._build(*rows)
        finally:
            wrapper.dec_thread_sharing()

    def _queries(self, chunk: list[int]) -> list[tuple[str, tuple]]:
        """The SQL and parameters of a chunk's documents, spans and (annotations) owners."""
        if self._compiled is None:
            self._compiled = _Compiled(self._querysets, min(self.chunk_size, self.total))
        return self._compiled.bind(chunk)

    def _querysets(self, chunk: list[int]) -> list:
        documents = Document.objects.filter(id__in=chunk).order_by("order", "id")
        queries = [documents.values_list("id", "external_id", "title", "text", "meta")]
        if self.layer == "gold" and self.as_of is not None:
            alive = gold.alive_at(self.as_of).filter(revision__document_id__in=chunk)
            queries.append(_json_columns(alive, "revision__document_id", "start", "end", "label_id"))
        elif self.layer == "gold":
            queries.append(_json_columns(GoldSpan.objects.filter(document_id__in=chunk), "document_id", "start", "end", "label_id"))
        elif self.layer == "model":
            queries.append(
                PredictedSpan.objects.filter(prediction__extractor=self.version, prediction__document_id__in=chunk)
                .order_by("prediction__document_id", "start", "end")
                .values_list("prediction__document_id", "start", "end", "label_id", "score", "source")
            )
        else:
            owned = self.annotations.filter(document_id__in=chunk)
            spans = AnnotationSpan.objects.filter(annotation__in=owned.values("id"))
            queries.append(_json_columns(spans, "annotation_id", "start", "end", "label_id", "origin"))
            queries.append(owned.order_by("annotator__username").values_list("id", "document_id", "annotator__username"))
        return queries

    def _build(self, documents, spans, owners=None) -> Iterator[tuple]:
        """(id, text, meta, span rows, annotator) per record of a chunk's rows.

        Span rows are (start, end, label id) for gold, plus (score, source)
        for predictions and (origin,) for annotations, in text order.
        """
        if self.layer == "model":
            by_owner = {owner: [row[1:] for row in group] for owner, group in groupby(spans, _owner)}
        else:
            by_owner = {row[0]: row[1:] for row in spans}
        if self.layer != "annotations":
            extra = {"model": self.version.version} if self.version else None
            for pk, external_id, title, text, meta in documents:
                yield external_id or str(pk), text, _meta(meta, title, extra), _spans(by_owner.get(pk) or []), None
            return
        # One record per (document, annotator): layers are never merged.
        by_document: dict[int, list] = {}
        for annotation, document, username in owners:
            by_document.setdefault(document, []).append((annotation, username))
        for pk, external_id, title, text, meta in documents:
            for annotation, username in by_document.get(pk, []):
                spans = _spans(by_owner.get(annotation) or [])
                yield external_id or str(pk), text, _meta(meta, title, {"annotator": username}), spans, username

    def _record(self, record_id: str, text: str, meta: dict, rows: list, annotator: str | None) -> Record:
        names = self.labels
        if self.layer == "gold":
            spans = [Span(s, e, names[label], text[s:e]) for s, e, label in rows]
        elif self.layer == "model":
            spans = [Span(s, e, names[label], text[s:e], score, source or None) for s, e, label, score, source in rows]
        else:
            spans = [Span(s, e, names[label], text[s:e], origin=origin, annotator=annotator) for s, e, label, origin in rows]
        self.documents += 1
        self.spans += len(spans)
        return Record(id=record_id, text=text, spans=spans, meta=meta)

    def _line(self, record_id: str, text: str, meta: dict, rows: list, annotator: str | None) -> tuple[str, int, bytes]:
        # The span objects of jsonio.span_fields: start, end, label, text, then score, source, origin, annotator if set.
        names = self.labels
        if self.layer == "gold":
            spans = [{"start": s, "end": e, "label": names[label], "text": text[s:e]} for s, e, label in rows]
        elif self.layer == "model":
            spans = [_prediction(s, e, names[label], text[s:e], score, source) for s, e, label, score, source in rows]
        else:
            spans = [
                {"start": s, "end": e, "label": names[label], "text": text[s:e], "origin": origin, "annotator": annotator}
                if origin is not None
                else {"start": s, "end": e, "label": names[label], "text": text[s:e], "annotator": annotator}
                for s, e, label, origin in rows
            ]
        self.documents += 1
        self.spans += len(spans)
        return record_id, len(spans), line_bytes({"id": record_id, "text": text, "spans": spans, "meta": meta})


def _meta(meta, title: str, extra: dict | None) -> dict:
    meta = dict((loads(meta) if isinstance(meta, str) else meta) or {})
    meta.setdefault("title", title)
    if extra:
        meta.update(extra)
    return meta


def _prediction(start: int, end: int, label: str, text: str, score, source) -> dict:
    out = {"start": start, "end": end, "label": label, "text": text}
    if score is not None:
        out["score"] = score
    if source:
        out["source"] = source
    return out


class _JSONList(Aggregate):
    """A JSON array of the group's values of one column, on SQLite and PostgreSQL."""

    function = "JSON_GROUP_ARRAY"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_AGG", **extra_context)


def _json_columns(spans, owner: str, *fields: str):
    """(owner, [field 1 of each span], [field 2 of each], ...) per owner of `spans`, in no particular
    order but the same in each list (each aggregate of a group sees the group's rows in one order)."""
    columns = {f"c{i}": _JSONList(name) for i, name in enumerate(fields)}
    return spans.order_by().values(owner).annotate(**columns).values_list(owner, *columns)


class _Compiled:
    """The SQL of a chunk's queries, compiled once for every chunk.

    Compiling three querysets of a chunk takes about 10 ms, 10 µs a
    document. They are compiled with stand-in ids, unlike any id or other
    parameter, and `bind` puts a chunk's ids where the stand-ins are; a
    shorter chunk (the last) keeps the stand-ins it does not fill, which
    match no row.
    """

    def __init__(self, querysets, size: int):
        self._stand_ins = [-(1 << 62) - i for i in range(size)]
        self._where = {value: index for index, value in enumerate(self._stand_ins)}
        self._queries = []
        for queryset in querysets(self._stand_ins):
            sql, params = queryset.query.sql_with_params()
            self._queries.append((sql, tuple(params)))

    def bind(self, chunk: list[int]) -> list[tuple[str, tuple]]:
        ids = chunk + self._stand_ins[len(chunk) :]
        where = self._where
        return [(sql, tuple(ids[where[p]] if type(p) is int and p in where else p for p in params)) for sql, params in self._queries]


def _fetch(wrapper, queries: list[tuple[str, tuple]]) -> list[list[tuple]]:
    """Run compiled queries on `wrapper` and return their rows as the driver gives them.

    Django's row iterator costs about 1 µs a row on top of the driver; at
    600,000 spans a second that is most of the time. JSON columns come back
    as text (see `loads`), PostgreSQL's JSON_AGG as lists.
    """
    out = []
    with wrapper.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            out.append(cursor.fetchall())
    return out


def _spans(value) -> list:
    """[(start, end, label id, ...extras), ...] in text order, from an owner's JSON columns or rows.

    JSON is parsed here, one owner at a time as its record is built: lists
    parsed ahead (a chunk's, or in the fetching thread) live long enough for
    the garbage collector, which counts live containers, to walk everything
    in the process every chunk or two, which took half the export's time.
    """
    if isinstance(value, tuple):  # JSON columns (text from SQLite, lists from PostgreSQL)
        return sorted(zip(*(loads(column) if isinstance(column, str) else column for column in value)))
    return value  # rows, sorted by the database


_owner = itemgetter(0)


# ---------------------------------------------------------------- writing


def in_dev(record_id: str, fraction: float, seed: int) -> bool:
    """Whether a document goes to the dev part: a seeded hash of its id, below `fraction`."""
    digest = hashlib.sha256(f"{seed}\0{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def dump_options(fmt: str, offsets: str | None = None) -> dict:
    """The format's own dump options that are set (its DUMP_OPTIONS); ValueError for one it does not take."""
    module = FORMATS[fmt]
    if offsets is None:
        return {}
    if "offsets" not in getattr(module, "DUMP_OPTIONS", ()):
        takers = [name for name in EXPORT_FORMATS if "offsets" in getattr(FORMATS[name], "DUMP_OPTIONS", ())]
        raise ValueError(f"--offsets applies to {', '.join(takers)} exports, not {fmt}")
    return {"offsets": offsets}


def chunks(records, fmt: str, layer: str, report=None, options: dict | None = None) -> Iterator[bytes]:
    """The bytes of the export of `records` in `fmt`: a file's, or for a many-file format a .zip's."""
    module = FORMATS[fmt]
    pieces = module.dump(records, report=report, layer=layer, **(options or {}))
    if module.KIND == "binary":
        yield from pieces
    elif module.KIND == "files":
        yield from zip_stream(pieces)
    else:
        for piece in _buffered(pieces):
            yield piece.encode("utf-8")


def _buffered(pieces: Iterable[AnyStr]) -> Iterator[AnyStr]:
    """The pieces joined into about _BUFFER at a time (str or bytes alike)."""
    buffered, size = [], 0
    for piece in pieces:
        buffered.append(piece)
        size += len(piece)
        if size >= _BUFFER:
            yield buffered[0][:0].join(buffered)
            buffered, size = [], 0
    if buffered:
        yield buffered[0][:0].join(buffered)


def _encoded(reader: LayerReader, fmt: str, layer: str, report=None, counted=None, options: dict | None = None) -> Iterator[bytes]:
    """The bytes of the export of `reader`'s records in `fmt`, JSONL straight from the rows.

    `counted(items)` sees (record id, span count, record or line) and passes
    on what to write (export_layer counts, reports progress and splits there).
    """
    counted = counted or (lambda items: (item for _, _, item in items))
    if fmt == "jsonl":
        return _buffered(counted(reader.jsonl_lines()))
    return chunks(counted((record.id, len(record.spans), record) for record in reader), fmt, layer, report, options)


def export_layer(
    project: Project,
    *,
    fmt: str,
    layer: str,
    output: str | Path | BinaryIO,
    model: str | None = None,
    annotator=None,
    split: float | None = None,
    seed: int = 0,
    progress: Progress = None,
    on_problem: Callable[[str], None] | None = None,
    as_of: datetime | None = None,
    offsets: str | None = None,
    only=None,
) -> ExportResult:
    """Write a layer in `fmt` to `output`: a file path, an open binary stream, or (brat, or a split) a folder.

    A file is written under a temporary name and renamed when complete, so
    no reader sees half of it. With `split` (the dev fraction) the output is
    a folder with train and dev parts. Spans the format cannot hold are
    told to `on_problem` and counted. `offsets` is the unit of doccano's and
    Label Studio's offsets (default: what their editors read). Raises
    ValueError for an unknown format, layer or model.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    module = FORMATS[fmt]
    options = dump_options(fmt, offsets)
    result = ExportResult()

    def report(record: Record, span: Span, reason: str) -> None:
        result.problems += 1
        if on_problem:
            on_problem(f"{describe(record, span)}: {reason}")

    def counted(reader: LayerReader, part: str | None):
        def count(items):
            done = 0
            for record_id, spans, item in items:
                done += 1
                if progress and (done % 500 == 0 or done == reader.total):
                    progress(done, reader.total)
                if part is None or (part == "dev") == in_dev(record_id, split, seed):
                    result.documents += 1
                    result.spans += spans
                    yield item

        return count

    def records(reader: LayerReader, part: str | None) -> Iterator[Record]:
        return counted(reader, part)((record.id, len(record.spans), record) for record in reader)

    parts = [None] if split is None else ["train", "dev"]
    readers = [LayerReader(project, layer, model=model, annotator=annotator, as_of=as_of, only=only) for _ in parts]
    if not isinstance(output, (str, Path)):
        for chunk in _encoded(readers[0], fmt, layer, report, counted(readers[0], None), options):
            output.write(chunk)
        result.paths.append("-")
        return result
    output = Path(output)
    if split is not None or (module.KIND == "files" and output.suffix.lower() != ".zip"):
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise ValueError(f"{output} exists and is not an empty folder")
        output.mkdir(parents=True, exist_ok=True)
    for part, reader in zip(parts, readers):
        target = output / f"{part}{module.SUFFIX}" if part else output
        if module.KIND == "files" and target.suffix.lower() != ".zip":
            write_directory(module.dump(records(reader, part), report=report, layer=layer, **options), target)
        else:
            partial = target.with_name(target.name + ".partial")
            with partial.open("wb") as handle:
                for chunk in _encoded(reader, fmt, layer, report, counted(reader, part), options):
                    handle.write(chunk)
            partial.replace(target)
        result.paths.append(str(target))
    return result


FORMAT_NAMES = {
    "jsonl": "Canonical JSONL (id, text, spans, meta)",
    "prodigy": "Prodigy tasks (ner_manual, JSONL)",
    "spacy": "spaCy DocBin (.spacy, for spacy train)",
    "conll": "CoNLL-2003, IOB2 tags",
    "doccano": "doccano JSONL (label: [[start, end, label]])",
    "doccano-entities": "doccano JSONL, entities shape",
    "labelstudio": "Label Studio tasks (JSON)",
    "brat": "brat standoff (.txt + .ann, zipped)",
}


def export_choices(project: Project) -> dict:
    """What the export page offers: formats, layers, the project's models and annotators."""
    users = (
        get_user_model()
        .objects.filter(
            annotations__document__project=project,
            annotations__status=Annotation.Status.SUBMITTED,
            annotations__kind=Annotation.Kind.ANNOTATION,
        )
        .distinct()
        .order_by("username")
        .values_list("username", flat=True)
    )
    return {
        "formats": [(name, FORMAT_NAMES[name]) for name in EXPORT_FORMATS],
        "import_formats": IMPORT_FORMATS,
        "models": list(selectors.extractor_versions(project).order_by("-created_at", "-id")),
        "annotators": list(users),
        "latest": selectors.latest_extractor(project),
    }


def download(
    project: Project, *, fmt: str, layer: str, model: str | None = None, annotator=None, as_of: datetime | None = None
) -> tuple[str, str, Iterator[bytes]]:
    """(file name, media type, bytes) of a layer's export for a web download, streamed as it is read.

    Raises ValueError before anything is read for an unknown format, layer or model.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    module = FORMATS[fmt]
    reader = LayerReader(project, layer, model=model, annotator=annotator, as_of=as_of)
    suffix = ".zip" if module.KIND == "files" else module.SUFFIX
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{project.slug}-{layer}-{fmt}-{stamp}{suffix}"
    return name, "application/zip" if module.KIND == "files" else module.MEDIA_TYPE, _encoded(reader, fmt, layer)
