"""Slots: how many annotators hold a document, read the same way by claims and by edits.

A document takes `k` annotators (Project.annotators_per_document). Claiming
it (services.assignment) and taking a skipped annotation up again
(services.editing) both ask here, inside their write transaction, whether a
slot is still open.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Annotation, Document, Project

ANNOTATION = Annotation.Kind.ANNOTATION


def active_annotations(project: Project):
    """Annotations that hold a slot: submitted ones and drafts, except drafts claimed and never touched
    for longer than the claim time (those go back to the pool). A draft someone worked on keeps its slot
    however old it is: its owner can still submit it, and a document never gets more than k."""
    cutoff = timezone.now() - timedelta(minutes=project.claim_minutes)
    untouched = Q(status=Annotation.Status.DRAFT, version=1, updated_at__lt=cutoff)
    return Annotation.objects.filter(
        kind=ANNOTATION, status__in=[Annotation.Status.SUBMITTED, Annotation.Status.DRAFT]
    ).exclude(untouched)


def with_open_slots(project: Project, documents):
    """Filter `documents` to those with fewer than k annotations holding a slot."""
    held = (
        active_annotations(project)
        .filter(document=OuterRef("pk"))
        .order_by()
        .values("document")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return documents.annotate(
        held=Coalesce(Subquery(held, output_field=IntegerField()), Value(0))
    ).filter(held__lt=project.annotators_per_document)


def has_open_slot(document: Document) -> bool:
    return with_open_slots(document.project, Document.objects.filter(pk=document.pk)).exists()
