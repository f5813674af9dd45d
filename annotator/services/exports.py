"""Export one layer of a project in any format: to a file or folder, or as a stream for a download.

Records are read a chunk of documents at a time and written as they come,
so memory stays bounded whatever the project's size. A train/dev split is
decided per document by a seeded hash of its id: the same document lands in
the same part every time, even as the project grows.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, OuterRef

from .. import selectors
from ..formats import EXPORT_FORMATS, FORMATS, IMPORT_FORMATS, Record, Span
from ..formats.archive import write_directory, zip_stream
from ..formats.jsonio import loads
from ..formats.records import describe
from ..models import Annotation, AnnotationSpan, Document, ExtractorVersion, GoldSpan, PredictedSpan, Project

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
    leaves under 2 µs a span, so this reads plain rows (values_list) and
    label names from one dict. It yields the same records (a test checks it);
    it belongs in selectors, where layer_records could become it.
    Raises ValueError at once (not while streaming) for an unknown layer or
    missing predictions.
    """

    def __init__(self, project: Project, layer: str, *, model: str | None = None, annotator=None, chunk_size: int = 900):
        self.project, self.layer, self.chunk_size = project, layer, chunk_size
        self.documents = self.spans = 0
        documents = project.documents.order_by("order", "id")
        self.version = None
        self.annotations = None
        if layer == "gold":
            documents = documents.filter(gold_at__isnull=False)
        elif layer == "model":
            self.version = (
                ExtractorVersion.objects.filter(version=model).first() if model else selectors.latest_extractor(project)
            )
            if self.version is None:
                raise ValueError(f"no predictions of {model!r} in this project" if model else "no predictions in this project")
            documents = documents.filter(predictions__extractor=self.version)
        elif layer == "annotations":
            self.annotations = Annotation.objects.filter(status=Annotation.Status.SUBMITTED)
            if annotator is not None:
                self.annotations = self.annotations.filter(annotator=annotator)
            documents = documents.filter(Exists(self.annotations.filter(document=OuterRef("pk"))))
        else:
            raise ValueError(f"unknown layer {layer!r} (gold, model or annotations)")
        self.ids = list(documents.values_list("id", flat=True))
        self.total = len(self.ids)
        self.labels = dict(project.labels.values_list("id", "name"))

    def __iter__(self) -> Iterator[Record]:
        """Build the records of one chunk while a thread fetches the next chunk's rows.

        The database works without the GIL, so on two cores fetching and
        building overlap. The thread uses this thread's connection (Django's
        thread sharing), never at the same time: the records are built from
        rows only. So it sees what this thread sees, transaction included.
        """
        chunks = [self.ids[b : b + self.chunk_size] for b in range(0, len(self.ids), self.chunk_size)]
        if not chunks:
            return
        wrapper = connections[DEFAULT_DB_ALIAS]
        wrapper.inc_thread_sharing()
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(_fetch, wrapper, self._queries(chunks[0]))
                for index in range(len(chunks)):
                    rows = pending.result()
                    if index + 1 < len(chunks):
                        pending = pool.submit(_fetch, wrapper, self._queries(chunks[index + 1]))
                    yield from self._build(*rows)
        finally:
            wrapper.dec_thread_sharing()

    def _queries(self, chunk: list[int]) -> list[tuple[str, tuple]]:
        """The SQL (compiled here, in the connection's own thread) of a chunk's documents and spans."""
        documents = Document.objects.filter(id__in=chunk).order_by("order", "id")
        queries = [documents.values_list("id", "external_id", "title", "text", "meta")]
        if self.layer == "gold":
            queries.append(GoldSpan.objects.filter(document_id__in=chunk).order_by("document_id", "start", "end").values_list("document_id", "start", "end", "label_id"))
        elif self.layer == "model":
            queries.append(
                PredictedSpan.objects.filter(prediction__extractor=self.version, prediction__document_id__in=chunk).order_by("prediction__document_id", "start", "end").values_list(
                    "prediction__document_id", "start", "end", "label_id", "score", "source"
                )
            )
        else:
            owned = self.annotations.filter(document_id__in=chunk)
            queries.append(
                AnnotationSpan.objects.filter(annotation__in=owned.values("id")).order_by("annotation_id", "start", "end").values_list(
                    "annotation_id", "start", "end", "label_id", "origin"
                )
            )
            queries.append(owned.order_by("annotator__username").values_list("id", "document_id", "annotator__username"))
        return [query.query.sql_with_params() for query in queries]

    def _build(self, documents, spans, owners=None) -> Iterator[Record]:
        # Span rows come sorted by owner and offsets (the database sorts in the fetching thread).
        by_owner = {owner: list(rows) for owner, rows in groupby(spans, _owner)}
        if self.layer != "annotations":
            extra = {"model": self.version.version} if self.version else None
            for pk, external_id, title, text, meta in documents:
                yield self._record(pk, external_id, title, text, meta, by_owner.get(pk, ()), extra)
            return
        # One record per (document, annotator): layers are never merged.
        by_document: dict[int, list] = {}
        for annotation, document, username in owners:
            by_document.setdefault(document, []).append((annotation, username))
        names = self.labels
        for pk, external_id, title, text, meta in documents:
            for annotation, username in by_document.get(pk, []):
                record = self._record(pk, external_id, title, text, meta, (), {"annotator": username})
                record.spans = [
                    Span(s, e, names[l], text[s:e], origin=origin, annotator=username)
                    for _, s, e, l, origin in by_owner.get(annotation, ())
                ]
                self.spans += len(record.spans)
                yield record

    def _record(self, pk, external_id, title, text, meta, rows, extra) -> Record:
        names = self.labels
        if self.layer == "model":
            spans = [Span(s, e, names[l], text[s:e], score, source or None) for _, s, e, l, score, source in rows]
        else:
            spans = [Span(s, e, names[l], text[s:e]) for _, s, e, l in rows]
        meta = dict((loads(meta) if isinstance(meta, str) else meta) or {})
        meta.setdefault("title", title)
        if extra:
            meta.update(extra)
        self.documents += 1
        self.spans += len(spans)
        return Record(id=external_id or str(pk), text=text, spans=spans, meta=meta)


def _fetch(wrapper, queries: list[tuple[str, tuple]]) -> list[list[tuple]]:
    """Run compiled queries on `wrapper` and return their rows as the driver gives them.

    Django's row iterator costs about 1 µs a row on top of the driver; at
    600,000 span rows a second that is most of the time. JSON columns come
    back as text (see `loads`).
    """
    out = []
    with wrapper.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            out.append(cursor.fetchall())
    return out


_owner = itemgetter(0)



# ---------------------------------------------------------------- writing


def in_dev(record_id: str, fraction: float, seed: int) -> bool:
    """Whether a document goes to the dev part: a seeded hash of its id, below `fraction`."""
    digest = hashlib.sha256(f"{seed}\0{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def chunks(records, fmt: str, layer: str, report=None) -> Iterator[bytes]:
    """The bytes of the export of `records` in `fmt`: a file's, or for a many-file format a .zip's."""
    module = FORMATS[fmt]
    pieces = module.dump(records, report=report, layer=layer)
    if module.KIND == "binary":
        yield from pieces
    elif module.KIND == "files":
        yield from zip_stream(pieces)
    else:
        buffered, size = [], 0
        for piece in pieces:
            buffered.append(piece)
            size += len(piece)
            if size >= _BUFFER:
                yield "".join(buffered).encode("utf-8")
                buffered, size = [], 0
        if buffered:
            yield "".join(buffered).encode("utf-8")


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
) -> ExportResult:
    """Write a layer in `fmt` to `output`: a file path, an open binary stream, or (brat, or a split) a folder.

    A file is written under a temporary name and renamed when complete, so
    no reader sees half of it. With `split` (the dev fraction) the output is
    a folder with train and dev parts. Spans the format cannot hold are
    told to `on_problem` and counted. Raises ValueError for an unknown
    format, layer or model.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    module = FORMATS[fmt]
    result = ExportResult()

    def report(record: Record, span: Span, reason: str) -> None:
        result.problems += 1
        if on_problem:
            on_problem(f"{describe(record, span)}: {reason}")

    def records(reader: LayerReader, part: str | None) -> Iterator[Record]:
        done = 0
        for record in reader:
            done += 1
            if progress and (done % 500 == 0 or done == reader.total):
                progress(done, reader.total)
            if part is None or (part == "dev") == in_dev(record.id, split, seed):
                result.documents += 1
                result.spans += len(record.spans)
                yield record

    parts = [None] if split is None else ["train", "dev"]
    readers = [LayerReader(project, layer, model=model, annotator=annotator) for _ in parts]
    if not isinstance(output, (str, Path)):
        for chunk in chunks(records(readers[0], None), fmt, layer, report):
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
            write_directory(module.dump(records(reader, part), report=report, layer=layer), target)
        else:
            partial = target.with_name(target.name + ".partial")
            with partial.open("wb") as handle:
                for chunk in chunks(records(reader, part), fmt, layer, report):
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
        .objects.filter(annotations__document__project=project, annotations__status=Annotation.Status.SUBMITTED)
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


def download(project: Project, *, fmt: str, layer: str, model: str | None = None, annotator=None) -> tuple[str, str, Iterator[bytes]]:
    """(file name, media type, bytes) of a layer's export for a web download, streamed as it is read.

    Raises ValueError before anything is read for an unknown format, layer or model.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    module = FORMATS[fmt]
    reader = LayerReader(project, layer, model=model, annotator=annotator)
    suffix = ".zip" if module.KIND == "files" else module.SUFFIX
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{project.slug}-{layer}-{fmt}-{stamp}{suffix}"
    return name, "application/zip" if module.KIND == "files" else module.MEDIA_TYPE, chunks(iter(reader), fmt, layer)
