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

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ..db.bulk import roomy_cache
from ..formats import FORMATS, IMPORT_FORMATS, FormatError, Record, detect_format
from ..formats import limits
from ..formats.archive import brat_pairs
from ..formats.reading import ReadStats, SpanError
from ..formats.records import check_spans
from ..formats.tokens import packed_token_offsets
from ..models import (
    Annotation,
    AnnotationSpan,
    Document,
    EditEvent,
    ExtractorVersion,
    ImportBatch,
    Project,
    content_hash,
)
from ..formats.records import ANNOTATED, EMPTY
from . import gold as gold_store
from .prediction import store_predictions

Origin = AnnotationSpan.Origin
Action = EditEvent.Action
LAYERS = ("gold", "model", "annotations")
# A file larger than this is refused before it is read (settings.IMPORT_MAX_BYTES overrides it).
DEFAULT_MAX_BYTES = 1 << 30
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


# ---------------------------------------------------------------- reading


class _Meter:
    """How much of a file has been read, for the progress bar."""

    def __init__(self, total: int):
        self.total = total
        self.done = 0


def max_import_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def resolve_format(path: Path, fmt: str = "auto") -> str:
    """The format named, or for "auto" the one the file's name and first characters tell."""
    if fmt != "auto":
        if fmt not in FORMATS or not hasattr(FORMATS[fmt], "load"):
            raise FormatError(f"unknown format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
        return fmt
    head = None
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson") and path.is_file():
        with path.open("rb") as handle:
            head = handle.read(64 * 1024).decode("utf-8", "replace").lstrip("\ufeff")
    return detect_format(str(path), head)


def _check_size(path: Path) -> None:
    """Refuse a file over the limit from its size alone: it is never opened."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
    limit = max_import_bytes()
    total = sum(p.stat().st_size for p in files)
    if total > limit:
        raise FormatError(
            f"the file is {total / (1 << 30):.1f} GB, over the import limit of {limit / (1 << 30):.1f} GB "
            f"(settings.IMPORT_MAX_BYTES); split it into smaller files"
        )


def _lines(path: Path, meter: _Meter) -> Iterator[str]:
    """Decoded lines of a UTF-8 file (line ends kept, a byte-order mark dropped), counting bytes read."""
    with path.open("rb") as handle:
        for number, raw in enumerate(limits.bounded_lines(handle), start=1):  # no line over the limits
            meter.done += len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise FormatError(f"not UTF-8 text ({error.reason} at byte {error.start} of the line)", number) from None
            yield line.lstrip("\ufeff") if number == 1 else line


class _CountingReader:
    def __init__(self, handle, meter: _Meter):
        self._handle, self._meter = handle, meter

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._meter.done += len(data)
        return data


def iter_records(
    path: str | Path,
    fmt: str = "auto",
    *,
    layer: str = "gold",
    on_error=None,
    meter: _Meter | None = None,
    options: dict | None = None,
) -> Iterator[Record]:
    """Return the records of a file, read as they are used; FormatError for a problem (without the path).

    The format and the size limit are checked at once, before anything is read.
    `options` are the format's own (its LOAD_OPTIONS: offsets, overlaps,
    labels, stats); one the format does not take is refused when it is set.
    """
    path = Path(path)
    fmt = resolve_format(path, fmt)
    module = FORMATS[fmt]
    accepted = getattr(module, "LOAD_OPTIONS", ())
    extra = {key: value for key, value in (options or {}).items() if key in accepted}
    for key in ("offsets", "overlaps"):
        value = (options or {}).get(key)
        if value is not None and key not in accepted and not (key == "overlaps" and value == "refuse"):
            takers = [name for name in IMPORT_FORMATS if key in getattr(FORMATS[name], "LOAD_OPTIONS", ())]
            raise FormatError(f"--{key} applies to {' and '.join(takers)} files, not {fmt}")
    _check_size(path)
    return _read(path, module, layer, on_error, meter or _Meter(0), extra)


def _read(path: Path, module, layer: str, on_error, meter: _Meter, extra: dict | None = None) -> Iterator[Record]:
    options = {"name": path.stem, "on_error": on_error, "layer": layer, **(extra or {})}
    if module.KIND == "files":
        yield from module.load(brat_pairs(path), **options)
    elif module.KIND == "binary":
        with path.open("rb") as handle:
            yield from module.load(_CountingReader(handle, meter), **options)
    else:
        if module is FORMATS["txt"]:  # the whole file is one document: refused unread if surely too long
            limits.check_one_document_file(path.stat().st_size)
        yield from module.load(_lines(path, meter), **options)


def read_records(path: str | Path, fmt: str = "auto", labels: set[str] | None = None) -> list[Record]:
    """Read and check every record of a (small) file; raise FormatError with the file and line of a problem."""
    try:
        records = list(iter_records(path, fmt))
        for record in records:
            check_spans(record, labels)
    except FormatError as error:
        raise _located(error, path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise _located(_read_error(error), path) from None
    return records


def _located(error: FormatError, path) -> FormatError:
    return error if error.path else error.at(str(path))


def _read_error(error: Exception) -> FormatError:
    if isinstance(error, UnicodeDecodeError):
        return FormatError(f"not UTF-8 text ({error.reason} at byte {error.start})")
    return FormatError(f"cannot read the file: {error.strerror or error}")


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
        self.documents = _DocumentRows(project)

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


class _DocumentRows:
    """INSERT new documents as plain rows: what Document.objects.bulk_create would, without an instance each.

    bulk_create builds a model instance per document and prepares its
    fourteen fields one by one, about 35 µs a document on top of the
    INSERT. Here the fields every new document shares (project, defaults,
    created_at) are prepared once, by the fields themselves, and
    the token offsets are packed straight from the text
    (formats.tokens.packed_token_offsets, the bytes TokensField stores,
    without the list of pairs between); the database still checks its
    constraints.
    """

    OWN = ("external_id", "title", "text", "content_hash", "tokens", "meta", "order")

    def __init__(self, project: Project):
        self.project = project
        self.batch: ImportBatch | None = None
        fields = {f.name: f for f in Document._meta.concrete_fields if not f.primary_key}
        self.meta_field = fields["meta"]
        self.shared = [f for name, f in fields.items() if name not in self.OWN]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [*(fields[name] for name in self.OWN), *self.shared])
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {quote(Document._meta.db_table)} ({columns}) VALUES ({marks})"

    def insert(self, records: dict[str, Record], order: int) -> int:
        """Insert a document per (content hash, record), numbered from `order`; return the next number."""
        # No gold here: a document's gold comes only with its first revision (services.gold).
        # One import batch (models.ImportBatch, the document list's filter) for all the writer's new documents.
        if self.batch is None:
            self.batch = ImportBatch.objects.create(project=self.project)
        template = Document(project=self.project, batch=self.batch)
        shared = tuple(f.get_db_prep_save(f.pre_save(template, True), connection) for f in self.shared)
        prepare_meta = self.meta_field.get_db_prep_save
        rows = []
        for digest, record in records.items():
            text = record.text
            rows.append(
                (
                    record.id[:255],
                    _title(record),
                    text,
                    digest,
                    packed_token_offsets(text),
                    prepare_meta(record.meta, connection),
                    order,
                    *shared,
                )
            )
            order += 1
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)
        return order


def _batched(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _checked(records: Iterable[Record], labels: set[str], on_error) -> Iterator[Record]:
    for record in records:
        try:
            check_spans(record, labels)
        except FormatError as error:
            if on_error is None:
                raise
            on_error(error)
            continue
        yield record


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
            on_invalid(_located(error, path))

    try:
        fmt = resolve_format(path, fmt)
        if not path.exists():
            raise FormatError("no such file")
        size = path.stat().st_size if path.is_file() else 0
        labels = set(project.labels.values_list("name", flat=True))

        def read(on_error, stats, meter):
            options = {"offsets": offsets, "overlaps": overlaps, "labels": labels, "stats": stats}
            return iter_records(path, fmt, layer=layer, on_error=on_error, meter=meter, options=options)

        # Pass 1: check everything, write nothing (problems are reported here, once). With
        # skip_invalid, the records refused are remembered by their place in the stream of records
        # (reading is deterministic: pass 2 meets the same records in the same order).
        meter = _Meter(size)
        refused: set[int] = set()
        for place, record in enumerate(read(invalid if skip_invalid else None, result.read, meter)):
            try:
                check_spans(record, labels)
            except FormatError as error:
                if not skip_invalid:
                    raise
                invalid(error)
                refused.add(place)
            if progress and meter.done % (1 << 20) < 512:
                progress(meter.done // 2, size)
        # Pass 2: write, a chunk per transaction, without checking again; what pass 1 refused is left out.
        meter = _Meter(size)
        checked = (
            record
            for place, record in enumerate(read(_ignore if skip_invalid else None, ReadStats(), meter))
            if place not in refused
        )
        with roomy_cache():
            # The writer first checks what the layer needs (a model name, an annotator), even for an empty file.
            with transaction.atomic():
                writer = _Writer(
                    project, layer, model=model, annotator=owner, has_spans=FORMATS[fmt].HAS_SPANS,
                    result=result, empty_is_gold=empty_is_gold, user=user, record_models=True,
                )
            for chunk in _batched(checked, chunk_size):
                with transaction.atomic():
                    writer.write(chunk)
                if progress:
                    progress(size // 2 + meter.done // 2, size)
    except FormatError as error:
        raise _located(error, path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise _located(_read_error(error), path) from None
    return result


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
