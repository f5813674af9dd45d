"""Reading a layer of a project: its records (the one layer reader), the gold as it stood, what can be exported.

A layer is the gold, an extractor version's predictions, or the submitted
annotations (one record per document and annotator: layers are never
merged). Exports, the API's lists, training and the export page read here.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, OuterRef

from ..db.bulk import ChunkQueries, fetch, json_columns, roomy_cache
from ..formats import EXPORT_FORMATS, IMPORT_FORMATS, Record, Span
from ..formats.jsonio import line_bytes, loads
from ..models import (
    Annotation,
    AnnotationSpan,
    AnnotatorSummary,
    Document,
    ExtractorVersion,
    GoldChange,
    GoldRevision,
    GoldSpan,
    PredictedSpan,
    Prediction,
    Project,
)
from . import latest_extractor, suggesting_extractor

ADD = GoldChange.ADD


def alive_at(when: datetime):
    """GoldChange rows of the spans that were in the gold at `when` (one per span), any document.

    A span was in the gold at `when` if its latest change up to then was an
    addition: an ADD with no later change of the same span by then.
    """
    later = GoldChange.objects.filter(
        revision__document_id=OuterRef("revision__document_id"),
        start=OuterRef("start"),
        end=OuterRef("end"),
        label_id=OuterRef("label_id"),
        revision__number__gt=OuterRef("revision__number"),
        revision__created_at__lte=when,
    )
    return GoldChange.objects.filter(op=ADD, revision__created_at__lte=when).exclude(Exists(later))


def had_gold_at(when: datetime):
    """A filter for Document querysets: documents that had gold (maybe empty) at `when`."""
    return Exists(GoldRevision.objects.filter(document=OuterRef("pk"), created_at__lte=when))


class LayerReader:
    """The records of one layer (gold, a model's predictions, submitted annotations), at export speed.

    The one layer reader: exports, the API's gold and prediction lists and
    the training data read layers through it. Building a model instance per
    span costs about 15 µs (the plain-ORM reader kept in the tests does);
    exporting 100,000 documents of 30 spans at 20,000 documents a second
    leaves under 2 µs a span for everything, so this reads plain rows and
    label names from one dict, and the gold and annotation spans come as
    one row per owner with a JSON array per column, which the database
    builds (`_json_columns`): SQLite does per span what it does without
    holding Python's lock, and Python parses a few strings per document
    instead of building a row per span. Predictions are read as rows:
    SQLite's JSON writes floats with 15 digits, and scores must come back
    exact. The SQL of a chunk is compiled once for all chunks
    (db.bulk.ChunkQueries). It yields the same records as the plain-ORM
    reader of the tests (tests/db/reference.py; a test checks it).
    `jsonl_lines` gives the canonical JSONL of the records without
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
            documents = documents.filter(gold_at__isnull=False) if as_of is None else documents.filter(had_gold_at(as_of))
        elif layer == "model":
            self.version = (
                ExtractorVersion.objects.filter(version=model).first() if model else latest_extractor(project)
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
        self._compiled: ChunkQueries | None = None

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
                pending = pool.submit(fetch, wrapper, self._queries(chunks[0]))
                for index in range(len(chunks)):
                    rows = pending.result()
                    if index + 1 < len(chunks):
                        pending = pool.submit(fetch, wrapper, self._queries(chunks[index + 1]))
                    yield from self._build(*rows)
        finally:
            wrapper.dec_thread_sharing()

    def _queries(self, chunk: list[int]) -> list[tuple[str, tuple]]:
        """The SQL and parameters of a chunk's documents, spans and (annotations) owners."""
        if self._compiled is None:
            self._compiled = ChunkQueries(self._querysets)
        return self._compiled.bind(chunk)

    def _querysets(self, chunk) -> list:
        """The chunk's queries; `chunk` stands for its document ids (an expression that `id__in` takes)."""
        documents = Document.objects.filter(id__in=chunk).order_by("order", "id")
        queries = [documents.values_list("id", "external_id", "title", "text", "meta")]
        if self.layer == "gold" and self.as_of is not None:
            alive = alive_at(self.as_of).filter(revision__document_id__in=chunk)
            queries.append(json_columns(alive, "revision__document_id", "start", "end", "label_id"))
        elif self.layer == "gold":
            queries.append(json_columns(GoldSpan.objects.filter(document_id__in=chunk), "document_id", "start", "end", "label_id"))
        elif self.layer == "model":
            queries.append(
                PredictedSpan.objects.filter(prediction__extractor=self.version, prediction__document_id__in=chunk)
                .order_by("prediction__document_id", "start", "end")
                .values_list("prediction__document_id", "start", "end", "label_id", "score", "source")
            )
        else:
            owned = self.annotations.filter(document_id__in=chunk)
            spans = AnnotationSpan.objects.filter(annotation__in=owned.values("id"))
            queries.append(json_columns(spans, "annotation_id", "start", "end", "label_id", "origin"))
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


_owner = itemgetter(0)


def current_items(document: Document | int) -> list[Span]:
    """The document's current gold spans, in text order."""
    document_id = getattr(document, "pk", document)
    rows = GoldSpan.objects.filter(document_id=document_id).values_list("start", "end", "label__name")
    return sorted(Span(*row) for row in rows)


def model_spans(document: Document) -> list[Span]:
    """The latest extractor's spans on a document (start, end, label), for reference beside a review."""
    extractor = suggesting_extractor(document.project)
    prediction = Prediction.objects.filter(document=document, extractor=extractor).first() if extractor else None
    if prediction is None:
        return []
    return [Span(s.start, s.end, s.label.name) for s in prediction.spans.select_related("label")]


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


def _versions_in(project: Project) -> list[ExtractorVersion]:
    predicted = Prediction.objects.filter(extractor=OuterRef("pk"), document__project=project)
    return list(ExtractorVersion.objects.filter(Exists(predicted)).order_by("-created_at", "-id"))


def export_choices(project: Project) -> dict:
    """What the export page offers: formats, layers, the project's models and annotators."""
    # The annotators with submitted work here: a row each in their summaries (not a scan of the annotations).
    users = (
        AnnotatorSummary.objects.filter(project=project, submitted__gt=0)
        .order_by("annotator__username")
        .values_list("annotator__username", flat=True)
    )
    return {
        "formats": [(name, FORMAT_NAMES[name]) for name in EXPORT_FORMATS],
        "import_formats": IMPORT_FORMATS,
        # The versions with predictions here (an EXISTS each), not how many documents each predicted: that
        # count reads one row a document.
        "models": _versions_in(project),
        "annotators": list(users),
        "latest": latest_extractor(project),
    }
