"""Edit one annotator's annotation: add, change, delete, undo, submit, skip.

Every edit carries the annotation version the client last saw, bumps it with
one compare-and-set UPDATE, and is logged in the append-only EditEvent table.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import offsets, selectors
from ..models import (
    Annotation,
    AnnotationSpan,
    Document,
    EditEvent,
    Label,
    Prediction,
)
from ..errors import Conflict
from ..selectors.review import items_of
from ..selectors.slots import has_open_slot
from . import gold
from .history import SUBMITTED, EditRefused, bump, check_version, log, span_state

Origin = AnnotationSpan.Origin
Action = EditEvent.Action


class SlotTaken(Conflict):
    """A skipped annotation cannot be taken up again: the document's k slots were taken meanwhile."""


def start_annotation(document: Document, user) -> Annotation:
    """Return the user's annotation of `document`, starting it from the latest predictions if new."""
    annotation = Annotation.objects.filter(document=document, annotator=user, kind=Annotation.Kind.ANNOTATION).first()
    if annotation is not None:
        annotation.document = document  # spare the query the edits would make for it
        return annotation
    # The suggesting version's predictions; a document it has not predicted yet starts from its newest ones.
    extractor = selectors.suggesting_extractor(document.project)
    predictions = Prediction.objects.filter(document=document).select_related("extractor")
    prediction = (predictions.filter(extractor=extractor).first() if extractor else None) or predictions.order_by(
        "-extractor__created_at", "-id"
    ).first()
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


def _label(annotation: Annotation, label_id) -> Label:
    """The project's label `label_id`: an id, or a Label the caller already looked up (the API resolves
    names), which is taken as it is when it belongs to the project: no second query for it."""
    project_id = annotation.document.project_id
    if isinstance(label_id, Label):
        if label_id.project_id == project_id:
            return label_id
        label_id = label_id.pk
    try:
        return Label.objects.get(pk=int(label_id), project_id=project_id)
    except (Label.DoesNotExist, TypeError, ValueError):
        raise EditRefused(f"Unknown label {label_id!r} for this project.") from None


def _check_free(annotation: Annotation, start: int, end: int, ignore: AnnotationSpan | None = None) -> None:
    """Refuse [start, end) if it overlaps a span of the annotation: one query for the first clash only
    (not every span of the annotation with its label)."""
    spans = annotation.spans.filter(start__lt=end, end__gt=start)
    if ignore is not None:
        spans = spans.exclude(pk=ignore.pk)
    clash = spans.select_related("label").order_by("start", "id").first()
    if clash is not None:
        text = annotation.document.text[clash.start : clash.end]
        raise EditRefused(f"That overlaps the {clash.label.name} span “{text}”; change or delete it first.")


def _reopen_fields(annotation: Annotation) -> dict:
    """An edit to a skipped annotation takes it up again (a submitted one must be reopened first).

    A skipped annotation gave its slot back, so taking it up is a claim: it
    needs a slot that is still open, counted while the document is held
    (row lock on PostgreSQL, the write transaction on SQLite), or a document
    with k = 1 could end up with two annotators. Called inside the edit's
    transaction.
    """
    if annotation.status != Annotation.Status.SKIPPED:
        return {}
    document = annotation.document
    gold.lock_documents([document.pk])
    if not has_open_slot(document):
        k = document.project.annotators_per_document
        raise SlotTaken(
            f"You skipped this document and since then its {k} annotator{'s' if k > 1 else ''} "
            f"took it up; nothing was changed. Use “Start annotating” for the next one that needs you."
        )
    return {"status": Annotation.Status.DRAFT}


def add_span(annotation: Annotation, user, *, version: int, start: int, end: int, label_id, elapsed: float = 0) -> AnnotationSpan:
    """Add a span snapped to whole tokens."""
    check_version(annotation, version)
    document = annotation.document
    snapped = offsets.snap(int(start), int(end), document.tokens)
    if snapped is None:
        raise EditRefused("The selection covers no word; select some text first.")
    label = _label(annotation, label_id)
    with transaction.atomic():
        _check_free(annotation, *snapped)
        bump(annotation, version, elapsed, **_reopen_fields(annotation))
        span = AnnotationSpan.objects.create(
            annotation=annotation, label=label, start=snapped[0], end=snapped[1], origin=Origin.MANUAL
        )
        log(annotation, user, Action.ADD, after=span_state(span))
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
    check_version(annotation, version)
    span = _get_span(annotation, span_id)
    before = span_state(span)
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
        bump(annotation, version, elapsed, **_reopen_fields(annotation))
        span.start, span.end, span.label = new_start, new_end, label
        if span.origin == Origin.MODEL_ACCEPTED:
            span.origin = Origin.MODEL_EDITED
        span.save()
        log(annotation, user, Action.CHANGE, before=before, after=span_state(span))
    return span


def delete_span(annotation: Annotation, user, *, version: int, span_id, elapsed: float = 0) -> None:
    check_version(annotation, version)
    span = _get_span(annotation, span_id)
    with transaction.atomic():
        bump(annotation, version, elapsed, **_reopen_fields(annotation))
        before = span_state(span)
        span.delete()
        log(annotation, user, Action.DELETE, before=before)


def _find(annotation: Annotation, state: dict) -> AnnotationSpan | None:
    return annotation.spans.filter(start=state["start"], end=state["end"], label__name=state["label"]).first()


def undo(annotation: Annotation, user, *, version: int, elapsed: float = 0) -> EditEvent | None:
    """Undo the latest span edit not yet undone; the undo is itself logged (and saved at once)."""
    check_version(annotation, version)
    if Annotation.objects.filter(pk=annotation.pk, status=Annotation.Status.SUBMITTED).exists():
        raise EditRefused(SUBMITTED)
    event = (
        annotation.events.filter(
            action__in=[Action.ADD, Action.CHANGE, Action.DELETE, Action.RESOLVE, Action.REOPEN], undone_by__isnull=True
        )
        .order_by("-id")
        .first()
    )
    if event is None:
        raise EditRefused("Nothing to undo.")
    if event.action == Action.REOPEN:
        # Undoing the reopen: back to submitted, as it was (its submission time included).
        with transaction.atomic():
            _reopen_fields(annotation)  # skipped since the reopen: going back to submitted takes a slot again
            submitted_at = event.before.get("submitted_at")
            bump(
                annotation, version, elapsed, status=Annotation.Status.SUBMITTED,
                submitted_at=datetime.fromisoformat(submitted_at) if submitted_at else timezone.now(),
            )
            return log(annotation, user, Action.UNDO, before=event.after, after=event.before, undoes=event)
    with transaction.atomic():
        bump(annotation, version, elapsed, **_reopen_fields(annotation))
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
        return log(annotation, user, Action.UNDO, before=event.after, after=event.before, undoes=event)


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
    """Submit an annotator's annotation; with k = 1 and no review step it may become the gold.

    It becomes a gold revision at once only when the project asks for no
    review (one annotator per document, no approval step) and either the
    document has no gold yet or the manager chose "submissions replace
    gold". Otherwise it waits in the review queue: a submission never
    replaces gold by itself. (A reviewer's copy is accepted by review.accept.)
    """
    if annotation.kind != Annotation.Kind.ANNOTATION:
        raise EditRefused("A review is accepted, not submitted.")
    now = timezone.now()
    document = annotation.document
    project = document.project
    with transaction.atomic():
        gold.lock_documents([document.pk])  # one submission or review decision on a document at a time
        _reopen_fields(annotation)  # a skipped annotation gave its slot back: submitting it takes one again
        bump(annotation, version, elapsed, status=Annotation.Status.SUBMITTED, submitted_at=now)
        items = items_of(annotation)
        written = None
        has_gold = Document.objects.filter(pk=document.pk, gold_at__isnull=False).exists()
        if not project.needs_review and (not has_gold or project.submissions_replace_gold):
            written = gold.record(
                document, items, how=gold.How.AUTO, user=user, source_annotation=annotation, note="k = 1 submission"
            )
            if written is None:
                gold.confirm(document)  # the same as the gold: nothing to review
        log(annotation, user, Action.SUBMIT, after={"spans": len(items), "gold_revision": getattr(written, "number", None)})


def reopen(annotation: Annotation, user, *, version: int, elapsed: float = 0) -> None:
    """Take a submitted annotation back to draft, on purpose; undo puts it back as submitted."""
    if annotation.status != Annotation.Status.SUBMITTED:
        raise EditRefused("Only a submitted annotation can be reopened.")
    before = {"status": annotation.status, "submitted_at": annotation.submitted_at.isoformat() if annotation.submitted_at else None}
    with transaction.atomic():
        bump(annotation, version, elapsed, while_submitted=True, status=Annotation.Status.DRAFT)
        log(annotation, user, Action.REOPEN, before=before, after={"status": Annotation.Status.DRAFT})


def skip(annotation: Annotation, user, *, version: int, elapsed: float = 0) -> None:
    """Give the document back: a skipped annotation holds no slot and is not reviewed."""
    with transaction.atomic():
        bump(annotation, version, elapsed, status=Annotation.Status.SKIPPED)
        log(annotation, user, Action.SKIP)
