"""Edit one annotator's annotation: add, change, delete, undo, submit, skip.

Every edit carries the annotation version the client last saw, bumps it with
one compare-and-set UPDATE, and is logged in the append-only EditEvent table.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .. import offsets
from ..models import (
    Annotation,
    AnnotationSpan,
    Document,
    EditEvent,
    GoldSpan,
    Label,
    Prediction,
)

Origin = AnnotationSpan.Origin
Action = EditEvent.Action

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


def start_annotation(document: Document, user) -> Annotation:
    """Return the user's annotation of `document`, starting it from the latest predictions if new."""
    annotation = Annotation.objects.filter(document=document, annotator=user, kind=Annotation.Kind.ANNOTATION).first()
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
        annotation = Annotation.objects.get(document=document, annotator=user, kind=Annotation.Kind.ANNOTATION)
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
        annotation.events.filter(
            action__in=[Action.ADD, Action.CHANGE, Action.DELETE, Action.RESOLVE], undone_by__isnull=True
        )
        .order_by("-id")
        .first()
    )
    if event is None:
        raise EditRefused("Nothing to undo.")
    with transaction.atomic():
        _bump(annotation, version, elapsed, **_reopen_fields(annotation))
        if event.action == Action.RESOLVE:
            replace_spans(annotation, event.after["spans"], event.before["spans"])
        elif event.action == Action.ADD:
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


def write_gold(annotation: Annotation, user, when) -> int:
    """Make the annotation's spans the document's gold, decided by `user` at `when`."""
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
    Document.objects.filter(pk=annotation.document_id).update(gold_at=when, gold_by=user)
    return len(spans)


def replace_spans(annotation: Annotation, old: list[dict], new: list[dict]) -> None:
    """Swap the spans `old` (states as logged) for `new` in the annotation."""
    for state in old:
        span = _find(annotation, state)
        if span is not None:
            span.delete()
    labels = {label.name: label for label in annotation.document.project.labels.all()}
    for state in new:
        _check_free(annotation, state["start"], state["end"])
        AnnotationSpan.objects.create(
            annotation=annotation,
            label=labels[state["label"]],
            start=state["start"],
            end=state["end"],
            origin=state.get("origin", Origin.MANUAL),
        )


def submit(annotation: Annotation, user, *, version: int, elapsed: float = 0) -> None:
    """Submit the annotation.

    A reviewer's submission is the document's gold. An annotator's becomes
    gold at once only when the project asks for no review (one annotator per
    document and no approval step).
    """
    now = timezone.now()
    project = annotation.document.project
    with transaction.atomic():
        _bump(annotation, version, elapsed, status=Annotation.Status.SUBMITTED, submitted_at=now)
        if annotation.kind == Annotation.Kind.REVIEW or not project.needs_review:
            count = write_gold(annotation, user, now)
        else:
            count = annotation.spans.count()
        _log(annotation, user, Action.SUBMIT, after={"spans": count})


def skip(annotation: Annotation, user, *, version: int, elapsed: float = 0) -> None:
    with transaction.atomic():
        _bump(annotation, version, elapsed, status=Annotation.Status.SKIPPED)
        _log(annotation, user, Action.SKIP)
