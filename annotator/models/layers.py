"""The three layers of spans on a document (predictions, annotations, gold) and their histories.

Predictions are what an extractor version suggested and are never edited;
annotations are one per annotator per document with every edit logged
(EditEvent); gold is the current adjudicated spans (GoldSpan) with its
append-only revisions (GoldRevision, GoldChange).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .. import roles
from .projects import Document, Label


class SpanBase(models.Model):
    """A labelled character range; the database refuses empty or negative ranges."""

    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="+")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()

    class Meta:
        abstract = True
        ordering = ["start", "end"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="%(class)s_end_after_start"),
            models.CheckConstraint(condition=Q(start__gte=0), name="%(class)s_start_not_negative"),
        ]


class ExtractorVersion(models.Model):
    """One version of the extractor: its name plus a hash of its config and patterns."""

    name = models.CharField(max_length=100)
    version = models.CharField(max_length=150, unique=True)
    base_model = models.CharField(max_length=300, blank=True)
    # What went wrong loading it (e.g. the pretrained pipeline is missing); shown on the project page.
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.version


class Prediction(models.Model):
    """What one extractor version suggested for one document. Never edited."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="predictions")
    extractor = models.ForeignKey(ExtractorVersion, on_delete=models.CASCADE, related_name="predictions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "extractor"], name="prediction_unique_per_version")
        ]


class PredictedSpan(SpanBase):
    prediction = models.ForeignKey(Prediction, on_delete=models.CASCADE, related_name="spans")
    score = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True, help_text="The rule or model that made it.")

    class Meta(SpanBase.Meta):
        pass


class Annotation(models.Model):
    """One person's spans on one document; `version` grows with every edit.

    An annotator's own work is kind ANNOTATION; a reviewer's working copy of
    the gold, built from the annotators' spans, is kind REVIEW. Keeping both in
    one table lets the same editor, versioning and log serve both.
    """

    Status = roles.AnnotationStatus
    Kind = roles.AnnotationKind

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ANNOTATION)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    time_spent = models.FloatField(default=0.0, help_text="Seconds of active work on the page.")
    # The predictions the annotation started from, if any.
    started_from = models.ForeignKey(
        ExtractorVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A review copy only: a fingerprint of what it was built from (the gold revision and the submitted
    # annotations' versions), so a copy that no longer matches them is never accepted silently.
    basis = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "annotator", "kind"], name="annotation_one_per_annotator"),
            models.CheckConstraint(condition=Q(time_spent__gte=0), name="annotation_time_not_negative"),
        ]


class AnnotationSpan(SpanBase):
    class Origin(models.TextChoices):
        MODEL_ACCEPTED = "model_accepted", "Model, accepted"
        MODEL_EDITED = "model_edited", "Model, edited"
        MANUAL = "manual", "Added by hand"

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="spans")
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.MANUAL)

    class Meta(SpanBase.Meta):
        pass

    def as_dict(self) -> dict:
        return {"id": self.pk, "start": self.start, "end": self.end, "label": self.label.name, "origin": self.origin}


class GoldSpan(SpanBase):
    """An adjudicated span of the current gold: the reference the extractor is scored against.

    This table is the latest GoldRevision spelled out, kept for fast reads;
    only services.gold writes it, in the same transaction as the revision.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="gold_spans")
    source_annotation = models.ForeignKey(
        Annotation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta(SpanBase.Meta):
        pass


class AppendOnly(models.Model):
    """A row that is written once: saving it again or deleting it raises (the history is never rewritten)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{type(self).__name__} rows are append-only.")


class GoldRevision(AppendOnly):
    """One change of a document's gold: who, when, how, and the spans it added and removed.

    Revisions are numbered 1, 2, … per document and never updated or
    deleted; the gold as of revision n is the replay of the changes of
    revisions 1..n, so storage grows with what changed, not with the size
    of the gold. The current gold (GoldSpan) always equals the replay of
    every revision.
    """

    class How(models.TextChoices):
        IMPORT = "import", "Import"
        REVIEW = "review", "Review"
        AUTO = "auto", "Submission (k = 1)"
        API = "api", "API"
        RESTORE = "restore", "Restore"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="gold_revisions")
    number = models.PositiveIntegerField()
    how = models.CharField(max_length=16, choices=How.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # What it came from: the review or annotation submitted, the revision restored, the file imported.
    source_annotation = models.ForeignKey(
        "Annotation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    spans = models.PositiveIntegerField(default=0, help_text="How many spans the gold has after this revision.")

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="goldrevision_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="goldrevision_number_positive"),
        ]

    def __str__(self):
        return f"Gold revision {self.number} of document {self.document_id} ({self.how})"


class GoldChange(AppendOnly):
    """One span a gold revision added (+) or removed (-)."""

    ADD = "+"
    REMOVE = "-"

    revision = models.ForeignKey(GoldRevision, on_delete=models.CASCADE, related_name="changes")
    op = models.CharField(max_length=1, choices=[(ADD, "added"), (REMOVE, "removed")])
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="+")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()

    class Meta:
        ordering = ["revision", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="goldchange_end_after_start"),
        ]


class EditEvent(models.Model):
    """An append-only record of one change to an annotation: who, when, before, after."""

    class Action(models.TextChoices):
        CREATE = "create", "Started"
        ADD = "add", "Added span"
        CHANGE = "change", "Changed span"
        DELETE = "delete", "Deleted span"
        UNDO = "undo", "Undid"
        SUBMIT = "submit", "Submitted"
        SKIP = "skip", "Skipped"
        RESOLVE = "resolve", "Resolved a disagreement"
        REOPEN = "reopen", "Reopened"
        CLAIM = "claim", "Claimed"

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    # The annotation version this event produced.
    version = models.PositiveIntegerField()
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # For undo: the event that was undone; an undone event is not undone twice.
    undoes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="undone_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The edit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The edit log is append-only.")
