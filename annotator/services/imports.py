"""Import documents and the spans of one layer from files; a bad record stores nothing of the file.

A file is read as a stream, twice (import_file): first every record is
checked and nothing is written; then it is written a chunk of records per
transaction, so memory stays bounded whatever the file's size and a long
import never holds the database's write lock for long. With
`skip_invalid`, bad records are reported and the rest is stored. Gold goes
through services.gold, as revisions.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..db.bulk import DocumentRows, roomy_cache
from ..formats import FORMATS, FormatError, Record
from ..formats.reading import ReadStats, SpanError
from ..formats.records import ANNOTATED, EMPTY, check_spans
from ..models import (
    Annotation,
    AnnotationSpan,
    Document,
    EditEvent,
    ExtractorVersion,
    Project,
    content_hash,
)
from ..roles import Layer
from . import gold as gold_store
from .prediction import store_predictions
from .reading import Meter, iter_records, located, max_import_bytes, read_error, resolve_format

Origin = AnnotationSpan.Origin
Action = EditEvent.Action
LAYERS = tuple(Layer.values)
Progress = Callable[[int, int], None] | None


@dataclass
class ImportResult:
    documents_created: int = 0
    documents_existing: int = 0
    spans: int = 0
    skipped: list[str] = field(default_factory=list)
    invalid: int = 0  # records left out by skip_invalid
    revisions: int = 0  # gold revisions written
    unchanged: int = 0  # documents whose gold the file left as it was
    not_annotated: int = 0  # records without an annotation: their text was imported, their layer left alone
    invalid_spans: int = 0  # spans left out by skip_invalid, their documents kept
    models: dict[str, int] = field(default_factory=dict)  # model version -> documents whose predictions went under it
    read: ReadStats | None = None  # what reading decided: offset units, trimmed texts, overlaps
    problems: list[str] = field(default_factory=list)  # what they were (web imports)

    def __str__(self):
        text = (
            f"{self.documents_created} new documents, {self.documents_existing} already there, "
            f"{self.spans} spans stored"
        )
        if self.revisions or self.unchanged:
            text += f"; {self.revisions} new gold revisions, {self.unchanged} documents' gold unchanged"
        if self.not_annotated:
            text += f"; {self.not_annotated} records without an annotation (text only, their layer left as it was)"
        if self.invalid:
            text += f"; {self.invalid} invalid records skipped"
        if self.invalid_spans:
            text += f"; {self.invalid_spans} invalid spans skipped (their documents kept)"
        if self.models:
            text += "; predictions under " + ", ".join(
                f"{name} ({n} document{'' if n == 1 else 's'})" for name, n in self.models.items()
            )
        if self.read is not None and (summary := self.read.summary()):
            text += f"; {summary}"
        if self.skipped:
            text += f"; {len(self.skipped)} left as they were: " + "; ".join(self.skipped[:5])
        return text


# ---------------------------------------------------------------- writing


def _title(record: Record) -> str:
    title = record.meta.get("title") if isinstance(record.meta.get("title"), str) else None
    if not title:
        title = next((line.strip() for line in record.text.splitlines() if line.strip()), "")
    return title[:300]


class _Writer:
    """Store chunks of checked records: their documents, and their spans in one layer."""

    def __init__(
        self,
        project: Project,
        layer: str,
        *,
        model: str | None,
        annotator,
        has_spans: bool,
        result: ImportResult,
        empty_is_gold: bool = False,
        how: str = gold_store.How.IMPORT,
        user=None,
        record_models: bool = False,
    ):
        if layer not in LAYERS:
            raise FormatError(f"unknown layer {layer!r} (gold, model or annotations)")
        self.project, self.layer, self.has_spans, self.result = project, layer, has_spans, result
        self.annotator = annotator
        self.empty_is_gold, self.how, self.user = empty_is_gold, how, user
        self.labels = {label.name: label for label in project.labels.all()}
        self.next_order = (project.documents.order_by("-order").values_list("order", flat=True).first() or 0) + 1
        # The model layer: with `record_models` (files) each record's predictions go under its own model
        # version (meta "model", e.g. Label Studio's model_version) and `model` names those that name none;
        # otherwise (the API) `model` names them all, whatever a document's meta says.
        self.model, self.record_models = model, record_models
        self.versions: dict[str, ExtractorVersion] = {}
        if has_spans and layer == "annotations" and annotator is None:
            raise FormatError("spans for the annotations layer need an annotator (--annotator USERNAME)")
        self.documents = DocumentRows(project, _title)

    def write(self, records: list[Record]) -> None:
        ids, new = self._documents_for(records)
        if not self.has_spans:
            return
        # The same text twice in a file is one document: keep one record for it
        # (the last for gold and annotations, which replace; the first of each model version for predictions,
        # which never change).
        pairs = {}
        for pk, record in zip(ids, records):
            if not self._carries_layer(record):
                continue
            if self.layer == "model":
                pairs.setdefault((self._model_of(record), pk), (pk, record))
            else:
                pairs[pk] = (pk, record)
        if self.layer == "model":
            self._predictions(pairs)
            return
        pairs = list(pairs.values())
        if self.layer == "gold":
            self._gold(pairs, new)
            return
        documents = [Document(pk=pk, project=self.project) for pk, _ in pairs]
        self.result.spans += _import_annotations(self.annotator, self.labels, documents, [r for _, r in pairs])

    def _model_of(self, record: Record) -> str:
        name = record.meta.get("model") if self.record_models and isinstance(record.meta.get("model"), str) else None
        name = name or self.model
        if not name:
            raise FormatError(
                f"document {record.id!r}: its predictions name no model version: give one with --model NAME", record.line
            )
        return name

    def _predictions(self, pairs: dict) -> None:
        """Store each model version's predictions of the chunk (a document that has them already is left alone)."""
        by_version: dict[str, list] = {}
        for (name, _), pair in pairs.items():
            by_version.setdefault(name, []).append(pair)
        for name, group in by_version.items():
            version = self.versions.get(name)
            if version is None:
                version, _ = ExtractorVersion.objects.get_or_create(version=name, defaults={"name": name, "base_model": "imported"})
                self.versions[name] = version
            stored = store_predictions(
                version,
                self.labels,
                [
                    (
                        Document(pk=pk, project=self.project),
                        [{"start": s.start, "end": s.end, "label": s.label, "score": s.score, "source": s.source} for s in r.spans],
                    )
                    for pk, r in group
                ],
            )
            self.result.spans += sum(len(r.spans) for _, r in group)
            self.result.models[name] = self.result.models.get(name, 0) + stored
            if stored < len(group):
                self.result.skipped.append(f"{len(group) - stored} documents already had predictions of {name}")

    def _carries_layer(self, record: Record) -> bool:
        """Whether the record's spans are its layer's: a task nobody annotated (or skipped) is text
        only, and an explicit empty annotation is gold only when the import says so."""
        status = getattr(record, "status", ANNOTATED)
        if status == ANNOTATED:
            return True
        if status == EMPTY and (self.empty_is_gold or self.layer != "gold"):
            return True
        self.result.not_annotated += 1
        return False

    def _documents_for(self, records: list[Record]) -> tuple[list[int], set[int]]:
        """The document id of each record, creating those whose text is new; and the ids of the new ones."""
        hashes = [content_hash(r.text) for r in records]
        existing = dict(self.project.documents.filter(content_hash__in=set(hashes)).values_list("content_hash", "id"))
        created: dict[str, Record] = {}
        for record, digest in zip(records, hashes):
            if digest in existing or digest in created:
                self.result.documents_existing += 1
            else:
                created[digest] = record
        if created:
            self.next_order = self.documents.insert(created, self.next_order)
            self.result.documents_created += len(created)
            new = dict(self.project.documents.filter(content_hash__in=list(created)).values_list("content_hash", "id"))
            existing.update(new)
        else:
            new = {}
        return [existing[h] for h in hashes], set(new.values())

    def _gold(self, pairs, new: set[int]) -> None:
        """A new gold revision for each document whose gold the file changes (none where it is the same)."""
        labels = {name: label.pk for name, label in self.labels.items()}
        written = gold_store.record_many(
            self.project,
            {pk: [(s.start, s.end, labels[s.label]) for s in r.spans] for pk, r in pairs},
            how=self.how,
            user=self.user,
        )
        self.result.spans += sum(len(r.spans) for _, r in pairs)
        self.result.revisions += written.revisions
        self.result.unchanged += written.unchanged


def _batched(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_records(
    project: Project,
    records: Iterable[Record],
    *,
    layer: str = "gold",
    model: str | None = None,
    annotator=None,
    has_spans: bool = True,
    chunk_size: int = 500,
    progress: Callable[[], None] | None = None,
    empty_is_gold: bool = False,
    how: str = gold_store.How.IMPORT,
    user=None,
) -> ImportResult:
    """Store checked records: their documents, and their spans in `layer`, in one transaction.

    gold writes a new gold revision where it differs (`how` and `user` say
    who and how, e.g. the API); model adds predictions of the
    named model (a document that already has them is left alone: predictions
    are never edited); annotations replace the annotator's spans.
    """
    result = ImportResult()
    with transaction.atomic():
        writer = _Writer(
            project, layer, model=model, annotator=annotator, has_spans=has_spans, result=result,
            empty_is_gold=empty_is_gold, how=how, user=user,
        )
        for chunk in _batched(records, chunk_size):
            writer.write(chunk)
            if progress:
                progress()
    return result


def _import_annotations(annotator, labels, documents, records) -> int:
    annotations = {a.document_id: a for a in Annotation.objects.filter(annotator=annotator, document__in=documents)}
    missing = [Annotation(document=d, annotator=annotator) for d in documents if d.pk not in annotations]
    for annotation in Annotation.objects.bulk_create(missing):
        annotations[annotation.document_id] = annotation
    if missing and missing[0].pk is None:
        annotations = {a.document_id: a for a in Annotation.objects.filter(annotator=annotator, document__in=documents)}
    AnnotationSpan.objects.filter(annotation__in=annotations.values()).delete()
    spans = [
        AnnotationSpan(
            annotation=annotations[d.pk],
            label=labels[s.label],
            start=s.start,
            end=s.end,
            origin=s.origin if s.origin in Origin.values else Origin.MANUAL,
        )
        for d, r in zip(documents, records)
        for s in r.spans
    ]
    AnnotationSpan.objects.bulk_create(spans)
    now = timezone.now()
    Annotation.objects.filter(pk__in=[a.pk for a in annotations.values()]).update(
        status=Annotation.Status.SUBMITTED, submitted_at=now, version=F("version") + 1
    )
    EditEvent.objects.bulk_create(
        EditEvent(
            annotation=annotations[d.pk],
            user=annotator,
            action=Action.CREATE,
            version=annotations[d.pk].version + 1,
            after={"imported": [{"start": s.start, "end": s.end, "label": s.label} for s in r.spans]},
        )
        for d, r in zip(documents, records)
    )
    return len(spans)


def _user(layer: str, annotator: str | None):
    if layer != "annotations":
        return None
    if not annotator:
        raise FormatError("--layer annotations needs --annotator USERNAME")
    try:
        return get_user_model().objects.get(username=annotator)
    except get_user_model().DoesNotExist:
        raise FormatError(f"no user named {annotator!r}") from None


def import_file(
    project: Project,
    path: str | Path,
    *,
    fmt: str = "auto",
    layer: str = "gold",
    model: str | None = None,
    annotator: str | None = None,
    skip_invalid: bool = False,
    on_invalid: Callable[[FormatError], None] | None = None,
    progress: Progress = None,
    chunk_size: int = 500,
    empty_is_gold: bool = False,
    user=None,
    offsets: str | None = None,
    overlaps: str | None = None,
) -> ImportResult:
    """Import one file as a stream: checked whole first, then written a chunk at a time.

    The file is read twice. The first pass checks every record and writes
    nothing: on a problem it raises FormatError ("file:line: what is wrong")
    and nothing of the file is stored. The second pass writes a chunk of
    records per transaction (a fraction of a second each), so a long import
    never holds the database: on SQLite every other writer (an annotator's
    edit, a worker) waits a moment between chunks instead of failing behind
    one long write transaction. Should the database itself fail halfway (a
    crash, a full disk), the chunks written stay; importing the same file
    again completes it (a known text is not stored twice, and gold that is
    already so writes no revision). With `skip_invalid`, each bad record is handed to
    `on_invalid` (located in the file) and left out, and the rest is stored;
    formats that read span by span (doccano, Label Studio) leave out a bad
    span and keep its document. `offsets` (codepoint, utf16, grapheme) and
    `overlaps` (refuse, keep-longest, keep-first, split) are those formats'
    options (formats.reading); `result.read` says which units were used.
    `progress(done, total)` hears how many bytes have been read.
    """
    owner = _user(layer, annotator)
    path = Path(path)
    result = ImportResult(read=ReadStats())

    def invalid(error: FormatError) -> None:
        if isinstance(error, SpanError):
            result.invalid_spans += 1
        else:
            result.invalid += 1
        if on_invalid:
            on_invalid(located(error, path))

    try:
        fmt = resolve_format(path, fmt)
        if not path.exists():
            raise FormatError("no such file")
        size = path.stat().st_size if path.is_file() else 0
        labels = set(project.labels.values_list("name", flat=True))

        def read(on_error, stats, meter):
            options = {"offsets": offsets, "overlaps": overlaps, "labels": labels, "stats": stats}
            return iter_records(path, fmt, layer=layer, on_error=on_error, meter=meter, options=options)

        refused = _check_pass(read, labels, result, invalid if skip_invalid else None, size, progress)
        writer_options = dict(
            model=model, annotator=owner, has_spans=FORMATS[fmt].HAS_SPANS, result=result,
            empty_is_gold=empty_is_gold, user=user, record_models=True,
        )
        _write_pass(read, refused, skip_invalid, size, chunk_size, progress, project, layer, writer_options)
    except FormatError as error:
        raise located(error, path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise located(read_error(error), path) from None
    return result


def _check_pass(read, labels: set[str], result: ImportResult, invalid, size: int, progress: Progress) -> set[int]:
    """Pass 1 of an import: check every record, write nothing; return the places of the records refused.

    Problems are reported here, once: raised, or with skip_invalid (`invalid`
    given) handed to it and the record's place in the stream remembered
    (reading is deterministic: pass 2 meets the same records in the same order).
    """
    meter = Meter(size)
    refused: set[int] = set()
    for place, record in enumerate(read(invalid, result.read, meter)):
        try:
            check_spans(record, labels)
        except FormatError as error:
            if invalid is None:
                raise
            invalid(error)
            refused.add(place)
        if progress and meter.done % (1 << 20) < 512:
            progress(meter.done // 2, size)
    return refused


def _write_pass(read, refused: set[int], skip_invalid: bool, size: int, chunk_size: int, progress: Progress,
                project: Project, layer: str, writer_options: dict) -> None:
    """Pass 2 of an import: write, a chunk per transaction, without checking again; what pass 1 refused is left out."""
    meter = Meter(size)
    checked = (
        record
        for place, record in enumerate(read(_ignore if skip_invalid else None, ReadStats(), meter))
        if place not in refused
    )
    with roomy_cache():
        # The writer first checks what the layer needs (a model name, an annotator), even for an empty file.
        with transaction.atomic():
            writer = _Writer(project, layer, **writer_options)
        for chunk in _batched(checked, chunk_size):
            with transaction.atomic():
                writer.write(chunk)
            if progress:
                progress(size // 2 + meter.done // 2, size)


def _ignore(error: FormatError) -> None:
    """Pass 2 of an import meets the bad records pass 1 already reported: leave them out, say nothing."""


def import_upload(project: Project, upload, *, skip_invalid: bool = False, **options) -> ImportResult:
    """Import a file uploaded through the web page (a Django UploadedFile), like import_file.

    The upload is copied to a temporary file named like it (its name tells
    the format); errors name the uploaded file, not the copy. With
    `skip_invalid`, the first thousand problems are kept in `result.problems`.
    """
    name = Path(upload.name or "upload").name
    limit = max_import_bytes()
    if upload.size and upload.size > limit:
        raise FormatError(
            f"the file is {upload.size / (1 << 30):.1f} GB, over the import limit of {limit / (1 << 30):.1f} GB", path=name
        )
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / name
        with copy.open("wb") as handle:
            for piece in upload.chunks():
                handle.write(piece)
        try:
            result = import_file(
                project,
                copy,
                skip_invalid=skip_invalid,
                on_invalid=lambda error: problems.append(str(_renamed(error, name))) if len(problems) < 1000 else None,
                **options,
            )
        except FormatError as error:
            raise _renamed(error, name) from None
    result.problems = problems
    return result


def _renamed(error: FormatError, name: str) -> FormatError:
    return FormatError(error.message, error.line, error.field, name)
