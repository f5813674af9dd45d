"""Summaries kept up to date by database triggers (annotator.db.summaries), read by the pages that count.

A document's workflow state (annotator.states) depends on every annotation
of it; a page that filters or counts by state over 100,000 documents would
otherwise recompute it for each. DocumentSummary holds, per document, what
the state is computed from and the state itself; DocumentMeta holds the
document's top-level metadata as indexed (key, value) rows for the list's
metadata filter; AnnotatorSummary holds each annotator's counts in a
project, which the progress, agreement and export pages would otherwise
count over every annotation of the project; StateCount holds the documents
per (project, state), and how many of them have gold, which the same
pages would otherwise count over every document. Nothing in Python writes them: the triggers do, on every
write path alike (the ORM, the raw-SQL bulk inserts, the admin), and
`manage.py rebuild_summaries` recomputes them from the base tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..roles import DocumentState
from .projects import Document, Project

# Longest metadata key and value kept in DocumentMeta (an index entry has a size limit); the list filters
# longer ones on the JSON itself.
META_LIMIT = 200


class DocumentSummary(models.Model):
    """One row per document: its annotations counted, its gold times copied, its state (annotator.states)."""

    document = models.OneToOneField(Document, primary_key=True, on_delete=models.CASCADE, related_name="summary")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    order = models.PositiveIntegerField(default=0)  # Document.order, so a state's documents page by index
    submitted = models.PositiveIntegerField(default=0)
    drafts = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    last_submitted = models.DateTimeField(null=True, blank=True)
    gold_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    disagreement = models.BooleanField(default=False, help_text="Some span is in fewer submissions than there are.")
    state = models.CharField(max_length=16, choices=DocumentState.choices, default=DocumentState.UNASSIGNED)

    class Meta:
        indexes = [
            # A state's documents in work order (the review queue, the list's state filter), and counts by state.
            models.Index(fields=["project", "state", "order", "document"], name="summary_state_order"),
            models.Index(fields=["project", "document"], condition=Q(disagreement=True), name="summary_disagreement"),
        ]

    def __str__(self):
        return f"{self.document_id}: {self.state}"


class DocumentMeta(models.Model):
    """One top-level (key, value) of a document's metadata, the value as text (as the list's filter reads it)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+", db_index=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=META_LIMIT)
    value = models.CharField(max_length=META_LIMIT)

    class Meta:
        indexes = [
            models.Index(fields=["project", "key", "value", "document"], name="documentmeta_lookup"),
            models.Index(fields=["document"], name="documentmeta_document"),
        ]


class AnnotatorSummary(models.Model):
    """One row per (project, annotator): their annotations counted by status, and how often the submitted
    ones changed.

    `submitted_changes` grows by one whenever an annotation enters or leaves
    the submitted status (or is submitted again); with `submitted` it tells
    a stored agreement or label count that it is out of date
    (selectors.dashboards.basis), without reading the annotations.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    submitted = models.IntegerField(default=0)
    drafts = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    submitted_changes = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "annotator"], name="annotatorsummary_unique"),
        ]

    def __str__(self):
        return f"{self.annotator_id} in {self.project_id}: {self.submitted} submitted"


class StateCount(models.Model):
    """How many of a project's documents are in a state (annotator.states), and how many of those have gold.

    Read as sums per (project, state): SQLite keeps one row a key, while
    PostgreSQL adds a row of changes per statement and folds them from time
    to time (annotator.db.summaries.pg_states), so that concurrent writers
    never wait on, or deadlock over, a project's counter rows.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    state = models.CharField(max_length=16, choices=DocumentState.choices)
    documents = models.IntegerField(default=0)
    gold = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["project", "state"], name="statecount_project_state")]

    def __str__(self):
        return f"{self.project_id} {self.state}: {self.documents}"
