"""The version and the log of an annotation: the compare-and-set every edit passes and the append-only record.

Annotators' edits (editing.py) and reviewers' (review.py) both go through
here: `bump` advances an annotation's version only if it is still the one
the client saw (one UPDATE, so two tabs can never both win), and `log`
appends what happened to EditEvent, which nothing updates or deletes.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from ..errors import Refused, Stale
from ..models import Annotation, AnnotationSpan, EditEvent


class EditRefused(Refused):
    """An edit that cannot be applied as asked (overlap, outside the text, unknown label)."""


SUBMITTED = (
    "This annotation is submitted. Reopen it (the Reopen button, or R) to change it; "
    "it then leaves the review queue until you submit it again."
)


class StaleEdit(Stale):
    """The annotation changed since the client last saw it; nothing was written."""

    def __init__(self, current_version: int):
        super().__init__(
            f"This annotation was changed elsewhere (another tab or session) since this page loaded; "
            f"it is now at version {current_version}. Your change was not applied: reload to see the "
            f"current spans.",
            current_version,
        )


def bump(
    annotation: Annotation, expected_version: int, elapsed: float = 0.0, *, while_submitted: bool = False, **changes
) -> None:
    """Advance the annotation's version if it is still `expected_version`, else raise StaleEdit.

    The compare-and-set is one UPDATE, so two tabs can never both win. A
    submitted annotation is not edited (unless `while_submitted`, for the
    steps that change its state): it must be reopened on purpose first. A
    stale version is told before that.
    """
    elapsed = min(max(float(elapsed or 0), 0.0), 3600.0)
    rows = Annotation.objects.filter(pk=annotation.pk, version=expected_version)
    if not while_submitted:
        rows = rows.exclude(status=Annotation.Status.SUBMITTED)
    updated = rows.update(
        version=F("version") + 1, time_spent=F("time_spent") + elapsed, updated_at=timezone.now(), **changes
    )
    if not updated:
        current = Annotation.objects.filter(pk=annotation.pk).values_list("version", "status").first()
        if current is not None and current[0] == expected_version:
            raise EditRefused(SUBMITTED)
        raise StaleEdit(current[0] if current else 0)
    annotation.refresh_from_db(fields=["version", "time_spent", "status", "updated_at", "submitted_at", "basis"])


def check_version(annotation: Annotation, version) -> None:
    """Raise StaleEdit if the annotation is no longer at `version`: a stale client hears that before
    any other refusal (an overlap, a missing span), which would describe a state it has not seen.

    The caller loaded `annotation` in this request, so a version that matches it needs no second
    read: the compare-and-set in `bump` is what guards the write, and an edit that loses a race
    after this check is told 409 by bump (or by the API's re-check of a refusal). Only a mismatch
    reads the current version, which the 409 reports.
    """
    if annotation.version == version:
        return
    current = Annotation.objects.filter(pk=annotation.pk).values_list("version", flat=True).first()
    if current != version:
        raise StaleEdit(current or 0)


def span_state(span: AnnotationSpan) -> dict:
    return {"start": span.start, "end": span.end, "label": span.label.name, "origin": span.origin}


def log(annotation: Annotation, user, action: str, before=None, after=None, undoes=None) -> EditEvent:
    return EditEvent.objects.create(
        annotation=annotation, user=user, action=action, version=annotation.version, before=before, after=after, undoes=undoes
    )
