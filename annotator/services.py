"""Writes: projects, import, prediction, span edits, submission.

Every function that changes stored data runs in one transaction, so a
failure leaves the database as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import offsets
from .extraction import load_extractor, token_offsets
from .formats import FORMATS, FormatError, Record, detect_format
from .formats.records import check_spans
from .models import (
    Annotation,
    AnnotationSpan,
    Document,
    EditEvent,
    ExtractorVersion,
    GoldSpan,
    Label,
    PredictedSpan,
    Prediction,
    Project,
    content_hash,
)

logger = logging.getLogger(__name__)

Origin = AnnotationSpan.Origin
Action = EditEvent.Action

# The default scheme of LABELS.md: name, colour, hotkey, short guideline.
DEFAULT_LABELS = [
    (
        "ACTOR",
        "#d62728",
        "1",
        "A party that takes part in the events or is their target, named or identified by nationality or "
        "side: organisations, armed groups, government bodies (IS, SDF, United Nations), named people "
        "without title (Haider al-Abadi), forces named by nationality or side (Iraqi forces, Syrian army, "
        "government forces). Not: countries or cities, generic nouns (militants, the army), peoples "
        "(Kurds), news agencies (Reuters, AFP). No leading 'the', no possessive, no '-backed' modifier.",
    ),
    (
        "LOCATION",
        "#1f77b4",
        "2",
        "A named place: country, region, province, city, town, village, district, road, river, valley, "
        "building or landmark. Type words of the name stay in (Aleppo province, Tigris River, Old City); "
        "direction words stay out (western Mosul -> Mosul). Countries and cities are LOCATION even when "
        "they act (Russia said). Not: nationality adjectives (Iraqi), generic places (the city).",
    ),
    (
        "QUANTITY",
        "#2ca02c",
        "3",
        "A count or measure of people, things, distance or area: approximator + number + counted noun "
        "with its 'of' (about 200 militants, Tens of thousands of civilians, 30km, between 200 and 300 "
        "IS fighters). Not: dates, times, durations, ages, ordinals, fractions, 'one' as a pronoun.",
    ),
]


class EditRefused(ValueError):
    """An edit that cannot be applied as asked (overlap, outside the text, unknown label)."""


class StaleEdit(Exception):
    """The annotation changed since the client last saw it; nothing was written."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        super().__init__(
            f"This annotation was changed elsewhere (another tab or session) since this page loaded; "
            f"it is now at version {current_version}. Your change was not applied: reload to see the "
            f"current spans."
        )


# ---------------------------------------------------------------- projects


def ensure_project(slug: str, name: str | None = None) -> Project:
    """Return the project `slug`, creating it with the default labels if it is new."""
    with transaction.atomic():
        project, created = Project.objects.get_or_create(slug=slug, defaults={"name": name or slug})
        if created or not project.labels.exists():
            Label.objects.bulk_create(
                Label(project=project, name=n, color=c, hotkey=k, description=d, order=i)
                for i, (n, c, k, d) in enumerate(DEFAULT_LABELS)
            )
    return project


# ---------------------------------------------------------------- extractor


@lru_cache(maxsize=4)
def get_extractor(model: str | None = None):
    """Load the extractor once per process: loading spaCy takes about a second."""
    return load_extractor(model or settings.EXTRACTOR_MODEL)


def register_extractor(extractor) -> ExtractorVersion:
    version, _ = ExtractorVersion.objects.get_or_create(
        version=extractor.version,
        defaults={"name": extractor.name, "base_model": extractor.base_model, "warnings": list(extractor.warnings)},
    )
    return version


def _store_predictions(version: ExtractorVersion, labels: dict[str, Label], pairs) -> int:
    """Store (document, spans) pairs as predictions of `version`; skip documents that have one.

    Keyed by (document, extractor version), so running twice never predicts a document twice.
    """
    pairs = list(pairs)
    existing = set(
        Prediction.objects.filter(extractor=version, document__in=[d for d, _ in pairs]).values_list(
            "document_id", flat=True
        )
    )
    pairs = [(d, s) for d, s in pairs if d.pk not in existing]
    predictions = Prediction.objects.bulk_create(Prediction(document=d, extractor=version) for d, _ in pairs)
    PredictedSpan.objects.bulk_create(
        PredictedSpan(
            prediction=prediction,
            label=labels[span["label"]],
            start=span["start"],
            end=span["end"],
            score=span.get("score"),
            source=span.get("source") or "",
        )
        for prediction, (_, spans) in zip(predictions, pairs)
        for span in spans
        if span["label"] in labels
    )
    return len(predictions)


def predict_documents(
    project: Project,
    *,
    model: str | None = None,
    chunk_size: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ExtractorVersion, int]:
    """Run the extractor over the project's documents that lack its predictions.

    Returns the extractor version and how many documents were predicted.
    Each chunk is stored in its own transaction, so a stopped run resumes
    where it left off.
    """
    extractor = get_extractor(model)
    version = register_extractor(extractor)
    labels = {label.name: label for label in project.labels.all()}
    todo = list(
        project.documents.exclude(predictions__extractor=version).order_by("order", "id").values_list("id", flat=True)
    )
    done = 0
    for begin in range(0, len(todo), chunk_size):
        documents = list(Document.objects.filter(id__in=todo[begin : begin + chunk_size]).only("id", "text"))
        spans = extractor.predict([d.text for d in documents])
        with transaction.atomic():
            done += _store_predictions(version, labels, zip(documents, spans))
        if progress:
            progress(min(begin + chunk_size, len(todo)), len(todo))
    return version, done


# ---------------------------------------------------------------- import


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
            stored = _store_predictions(version, labels, pairs)
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


# ---------------------------------------------------------------- annotation


def start_annotation(document: Document, user) -> Annotation:
    """Return the user's annotation of `document`, starting it from the latest predictions if new."""
    annotation = Annotation.objects.filter(document=document, annotator=user).first()
    if annotation is not None:
        annotation.document = document  # spare the query the edits would make for it
        return annotation
    prediction = (
        Prediction.objects.filter(document=document).select_related("extractor").order_by("-extractor__created_at", "-id").first()
    )
    try:
        with transaction.atomic():
            annotation = Annotation.objects.create(
                document=document, annotator=user, started_from=prediction.extractor if prediction else None
            )
            if prediction is not None:
                AnnotationSpan.objects.bulk_create(
                    AnnotationSpan(
                        annotation=annotation, label_id=s.label_id, start=s.start, end=s.end, origin=Origin.MODEL_ACCEPTED
                    )
                    for s in prediction.spans.all()
                )
            EditEvent.objects.create(
                annotation=annotation,
                user=user,
                action=Action.CREATE,
                version=annotation.version,
                after={"from_extractor": prediction.extractor.version if prediction else None},
            )
    except IntegrityError:  # another request of the same user created it first
        annotation = Annotation.objects.get(document=document, annotator=user)
    annotation.document = document
    return annotation


def _bump(annotation: Annotation, expected_version: int, elapsed: float = 0.0, **changes) -> None:
    """Advance the annotation's version if it is still `expected_version`, else raise StaleEdit.

    The compare-and-set is one UPDATE, so two tabs can never both win.
    """
    elapsed = min(max(float(elapsed or 0), 0.0), 3600.0)
    updated = Annotation.objects.filter(pk=annotation.pk, version=expected_version).update(
        version=F("version") + 1, time_spent=F("time_spent") + elapsed, updated_at=timezone.now(), **changes
    )
    if not updated:
        current = Annotation.objects.filter(pk=annotation.pk).values_list("version", flat=True).first()
        raise StaleEdit(current or 0)
    annotation.refresh_from_db(fields=["version", "time_spent", "status", "updated_at", "submitted_at"])


def _span_state(span: AnnotationSpan) -> dict:
    return {"start": span.start, "end": span.end, "label": span.label.name, "origin": span.origin}


def _log(annotation: Annotation, user, action: str, before=None, after=None, undoes=None) -> EditEvent:
    return EditEvent.objects.create(
        annotation=annotation, user=user, action=action, version=annotation.version, before=before, after=after, undoes=undoes
    )


def _label(annotation: Annotation, label_id) -> Label:
    try:
        return Label.objects.get(pk=int(label_id), project_id=annotation.document.project_id)
    except (Label.DoesNotExist, TypeError, ValueError):
        raise EditRefused(f"Unknown label {label_id!r} for this project.") from None


def _check_free(annotation: Annotation, start: int, end: int, ignore: AnnotationSpan | None = None) -> None:
    clash = offsets.overlapping(start, end, annotation.spans.select_related("label"), ignore=ignore)
    if clash is not None:
        text = annotation.document.text[clash.start : clash.end]
        raise EditRefused(f"That overlaps the {clash.label.name} span “{text}”; change or delete it first.")


def _reopen_fields(annotation: Annotation) -> dict:
    """An edit to a submitted annotation reopens it; its gold stays until it is submitted again."""
    return {"status": Annotation.Status.DRAFT} if annotation.status != Annotation.Status.DRAFT else {}


def add_span(annotation: Annotation, user, *, version: int, start: int, end: int, label_id, elapsed: float = 0) -> AnnotationSpan:
    """Add a span snapped to whole tokens."""
    document = annotation.document
    snapped = offsets.snap(int(start), int(end), document.tokens)
    if snapped is None:
        raise EditRefused("The selection covers no word; select some text first.")
    label = _label(annotation, label_id)
    with transaction.atomic():
        _check_free(annotation, *snapped)
        _bump(annotation, version, elapsed, **_reopen_fields(annotation))
        span = AnnotationSpan.objects.create(
            annotation=annotation, label=label, start=snapped[0], end=snapped[1], origin=Origin.MANUAL
        )
        _log(annotation, user, Action.ADD, after=_span_state(span))
    return span


def _get_span(annotation: Annotation, span_id) -> AnnotationSpan:
    try:
        return annotation.spans.select_related("label").get(pk=int(span_id))
    except (AnnotationSpan.DoesNotExist, TypeError, ValueError):
        raise EditRefused("That span is no longer there; reload the page.") from None


def change_span(
    annotation: Annotation,
    user,
    *,
    version: int,
    span_id,
    label_id=None,
    start: int | None = None,
    end: int | None = None,
    step: tuple[str, int] | None = None,
    elapsed: float = 0,
) -> AnnotationSpan:
    """Change a span's label and/or extent (new offsets snap to tokens; `step` moves one edge a token)."""
    span = _get_span(annotation, span_id)
    before = _span_state(span)
    tokens = annotation.document.tokens
    new_start, new_end = span.start, span.end
    if step is not None:
        new_start, new_end = offsets.step(span.start, span.end, tokens, *step)
    elif start is not None or end is not None:
        snapped = offsets.snap(
            int(start) if start is not None else span.start, int(end) if end is not None else span.end, tokens
        )
        if snapped is None:
            raise EditRefused("A span must cover at least one word.")
        new_start, new_end = snapped
    label = _label(annotation, label_id) if label_id not in (None, "") else span.label
    if (new_start, new_end, label.pk) == (span.start, span.end, span.label_id):
        return span
    with transaction.atomic():
        _check_free(annotation, new_start, new_end, ignore=span)
        _bump(annotation, version, elapsed, **_reopen_fields(annotation))
        span.start, span.end, span.label = new_start, new_end, label
        if span.origin == Origin.MODEL_ACCEPTED:
            span.origin = Origin.MODEL_EDITED
        span.save()
        _log(annotation, user, Action.CHANGE, before=before, after=_span_state(span))
    return span


def delete_span(annotation: Annotation, user, *, version: int, span_id, elapsed: float = 0) -> None:
    span = _get_span(annotation, span_id)
    with transaction.atomic():
        _bump(annotation, version, elapsed, **_reopen_fields(annotation))
        before = _span_state(span)
        span.delete()
        _log(annotation, user, Action.DELETE, before=before)


def _find(annotation: Annotation, state: dict) -> AnnotationSpan | None:
    return annotation.spans.filter(start=state["start"], end=state["end"], label__name=state["label"]).first()


def undo(annotation: Annotation, user, *, version: int, elapsed: float = 0) -> EditEvent | None:
    """Undo the latest span edit not yet undone; the undo is itself logged (and saved at once)."""
    event = (
        annotation.events.filter(action__in=[Action.ADD, Action.CHANGE, Action.DELETE], undone_by__isnull=True)
        .order_by("-id")
        .first()
    )
    if event is None:
        raise EditRefused("Nothing to undo.")
    with transaction.atomic():
        _bump(annotation, version, elapsed, **_reopen_fields(annotation))
        if event.action == Action.ADD:
            span = _find(annotation, event.after)
            if span is not None:
                span.delete()
        elif event.action == Action.DELETE:
            state = event.before
            label = annotation.document.project.labels.get(name=state["label"])
            _check_free(annotation, state["start"], state["end"])
            AnnotationSpan.objects.create(
                annotation=annotation, label=label, start=state["start"], end=state["end"], origin=state["origin"]
            )
        else:
            span = _find(annotation, event.after)
            if span is not None:
                state = event.before
                _check_free(annotation, state["start"], state["end"], ignore=span)
                span.start, span.end, span.origin = state["start"], state["end"], state["origin"]
                span.label = annotation.document.project.labels.get(name=state["label"])
                span.save()
        return _log(annotation, user, Action.UNDO, before=event.after, after=event.before, undoes=event)


def submit(annotation: Annotation, user, *, version: int, elapsed: float = 0) -> None:
    """Submit the annotation; its spans become the document's gold (no review step yet)."""
    now = timezone.now()
    with transaction.atomic():
        _bump(annotation, version, elapsed, status=Annotation.Status.SUBMITTED, submitted_at=now)
        spans = list(annotation.spans.all())
        GoldSpan.objects.filter(document_id=annotation.document_id).delete()
        GoldSpan.objects.bulk_create(
            GoldSpan(
                document_id=annotation.document_id,
                label_id=s.label_id,
                start=s.start,
                end=s.end,
                source_annotation=annotation,
                decided_by=user,
            )
            for s in spans
        )
        Document.objects.filter(pk=annotation.document_id).update(gold_at=now)
        _log(annotation, user, Action.SUBMIT, after={"spans": len(spans)})


def skip(annotation: Annotation, user, *, version: int, elapsed: float = 0) -> None:
    with transaction.atomic():
        _bump(annotation, version, elapsed, status=Annotation.Status.SKIPPED)
        _log(annotation, user, Action.SKIP)


def import_paths(project: Project, paths: Iterable[str], **options) -> list[tuple[str, ImportResult]]:
    """Import several files; each is all-or-nothing on its own."""
    return [(str(path), import_file(project, path, **options)) for path in paths]
