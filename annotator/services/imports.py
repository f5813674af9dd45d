"""Import documents and the spans of one layer from files; a file is stored whole or not at all."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..extraction import token_offsets
from ..formats import FORMATS, FormatError, Record, detect_format
from ..formats.records import check_spans
from ..models import (
    Annotation,
    AnnotationSpan,
    Document,
    EditEvent,
    ExtractorVersion,
    GoldSpan,
    Project,
    content_hash,
)
from .prediction import store_predictions

Origin = AnnotationSpan.Origin
Action = EditEvent.Action

@dataclass
class ImportResult:
    documents_created: int = 0
    documents_existing: int = 0
    spans: int = 0
    skipped: list[str] = field(default_factory=list)

    def __str__(self):
        text = (
            f"{self.documents_created} new documents, {self.documents_existing} already there, "
            f"{self.spans} spans stored"
        )
        if self.skipped:
            text += f"; {len(self.skipped)} left as they were: " + "; ".join(self.skipped[:5])
        return text


def read_records(path: str | Path, fmt: str = "auto", labels: set[str] | None = None) -> list[Record]:
    """Read and check every record of a file; raise FormatError with the file and line of a problem."""
    path = Path(path)
    fmt = detect_format(str(path)) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise FormatError(f"unknown format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            records = list(FORMATS[fmt].load(handle, name=path.stem))
            for record in records:
                check_spans(record, labels)
    except FormatError as error:
        raise error.at(str(path)) from None
    except UnicodeDecodeError as error:
        raise FormatError(f"not UTF-8 text ({error.reason} at byte {error.start})", path=str(path)) from None
    except OSError as error:
        raise FormatError(f"cannot read the file: {error.strerror}", path=str(path)) from None
    return records


def _title(record: Record) -> str:
    title = record.meta.get("title") if isinstance(record.meta.get("title"), str) else None
    if not title:
        title = next((line.strip() for line in record.text.splitlines() if line.strip()), "")
    return title[:300]


def _documents_for(project: Project, records: list[Record], result: ImportResult) -> list[Document]:
    """Return the document of each record, creating those whose text is new to the project."""
    hashes = [content_hash(r.text) for r in records]
    existing = {d.content_hash: d for d in project.documents.filter(content_hash__in=set(hashes))}
    next_order = (project.documents.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    new = {}
    for record, digest in zip(records, hashes):
        if digest in existing or digest in new:
            result.documents_existing += 1
            continue
        new[digest] = Document(
            project=project,
            external_id=record.id,
            title=_title(record),
            text=record.text,
            content_hash=digest,
            tokens=[list(t) for t in token_offsets(record.text)],
            meta=record.meta,
            order=next_order + len(new),
        )
    Document.objects.bulk_create(new.values())
    result.documents_created += len(new)
    if new and new[next(iter(new))].pk is None:  # backends that return no primary keys
        existing.update({d.content_hash: d for d in project.documents.filter(content_hash__in=set(new))})
    else:
        existing.update(new)
    return [existing[h] for h in hashes]


def import_records(
    project: Project,
    records: list[Record],
    *,
    layer: str = "gold",
    model: str | None = None,
    annotator=None,
    has_spans: bool = True,
) -> ImportResult:
    """Store checked records: their documents, and their spans in `layer`.

    gold replaces a document's gold spans; model adds predictions of the
    named model (a document that already has them is left alone: predictions
    are never edited); annotations replace the annotator's spans.
    """
    result = ImportResult()
    labels = {label.name: label for label in project.labels.all()}
    with transaction.atomic():
        documents = _documents_for(project, records, result)
        if not has_spans:
            return result
        if layer == "gold":
            GoldSpan.objects.filter(document__in=documents).delete()
            gold = [
                GoldSpan(document=d, label=labels[s.label], start=s.start, end=s.end)
                for d, r in zip(documents, records)
                for s in r.spans
            ]
            GoldSpan.objects.bulk_create(gold)
            Document.objects.filter(pk__in=[d.pk for d in documents]).update(gold_at=timezone.now())
            result.spans = len(gold)
        elif layer == "model":
            if not model:
                raise FormatError("spans for the model layer need a model name (--model NAME)")
            version, _ = ExtractorVersion.objects.get_or_create(
                version=model, defaults={"name": model, "base_model": "imported"}
            )
            pairs = [
                (d, [{"start": s.start, "end": s.end, "label": s.label, "score": s.score, "source": s.source} for s in r.spans])
                for d, r in zip(documents, records)
            ]
            stored = store_predictions(version, labels, pairs)
            result.spans = sum(len(r.spans) for r in records)
            if stored < len(pairs):
                result.skipped.append(f"{len(pairs) - stored} documents already had predictions of {model}")
        elif layer == "annotations":
            if annotator is None:
                raise FormatError("spans for the annotations layer need an annotator (--annotator USERNAME)")
            result.spans = _import_annotations(annotator, labels, documents, records)
        else:
            raise FormatError(f"unknown layer {layer!r} (gold, model or annotations)")
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


def import_file(
    project: Project,
    path: str | Path,
    *,
    fmt: str = "auto",
    layer: str = "gold",
    model: str | None = None,
    annotator: str | None = None,
) -> ImportResult:
    """Import one file; on any problem raise FormatError ("file:line: reason") and store nothing."""
    user = None
    if layer == "annotations":
        if not annotator:
            raise FormatError("--layer annotations needs --annotator USERNAME")
        try:
            user = get_user_model().objects.get(username=annotator)
        except get_user_model().DoesNotExist:
            raise FormatError(f"no user named {annotator!r}") from None
    labels = set(project.labels.values_list("name", flat=True))
    records = read_records(path, fmt, labels)
    resolved = detect_format(str(path)) if fmt == "auto" else fmt
    return import_records(project, records, layer=layer, model=model, annotator=user, has_spans=resolved != "txt")



def import_paths(project: Project, paths: Iterable[str], **options) -> list[tuple[str, ImportResult]]:
    """Import several files; each is all-or-nothing on its own."""
    return [(str(path), import_file(project, path, **options)) for path in paths]
