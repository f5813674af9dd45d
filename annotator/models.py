"""The data model: projects, documents and the three layers of spans on them.

A document's spans live in separate layers that are never mixed:
predictions (what an extractor version suggested, never edited),
annotations (one per annotator per document, every edit logged) and gold
(the adjudicated spans). Offsets are character offsets (Python str indices,
end exclusive) into the immutable document text.
"""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import roles
from .offsets import pack_offsets, unpack_offsets


def content_hash(text: str) -> str:
    """Return the hash that identifies a text within a project (same text, same document)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Project(models.Model):
    class WorkOrder(models.TextChoices):
        IMPORT = "import", "Import order"
        RANDOM = "random", "Random (seeded)"
        UNCERTAIN = "uncertain", "Most uncertain first (by the extractor's scores)"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True, help_text="Shown to annotators beside the label descriptions.")
    annotators_per_document = models.PositiveSmallIntegerField(
        default=1, help_text="How many annotators label each document (k)."
    )
    work_order = models.CharField(max_length=16, choices=WorkOrder.choices, default=WorkOrder.IMPORT)
    random_seed = models.IntegerField(default=0, help_text="Seed of the random work order.")
    review_single = models.BooleanField(
        default=False,
        help_text="With one annotator per document: a reviewer approves submissions before they become gold.",
    )
    claim_minutes = models.PositiveIntegerField(
        default=60, help_text="A claimed document nobody touches for this long goes back to the pool."
    )
    annotate_gold_documents = models.BooleanField(
        default=False,
        help_text="“Start annotating” also hands out documents that already have gold (e.g. to re-check imported gold).",
    )
    submissions_replace_gold = models.BooleanField(
        default=False,
        help_text=(
            "With one annotator per document and no review step: a submission on a document that already has "
            "gold becomes its new gold revision (the old one is kept in the history). Off: it waits for a reviewer."
        ),
    )
    # Training (services.training): the version that suggests (None: the rule extractor of
    # settings.EXTRACTOR_MODEL), whether a training promotes its version when it is better on dev, and
    # a retraining after every N new gold documents (0: never).
    suggestion_model = models.ForeignKey(
        "ExtractorVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The extractor version that writes suggestions (empty: the rule extractor).",
    )
    auto_promote = models.BooleanField(
        default=False, help_text="A training promotes its version when it beats the current one on dev strict F1."
    )
    retrain_every = models.PositiveIntegerField(
        default=0, help_text="Train again after this many new gold documents (0: only when asked)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(annotators_per_document__gte=1), name="project_k_at_least_one"),
        ]

    def __str__(self):
        return self.name

    @property
    def needs_review(self) -> bool:
        """Whether gold comes from a reviewer rather than straight from a submission."""
        return self.annotators_per_document > 1 or self.review_single


class Membership(models.Model):
    """A user's role in a project; a user sees only the projects they belong to."""

    Role = roles.Role

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user")]

    def __str__(self):
        return f"{self.user} in {self.project} ({self.role})"


class Label(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=64)
    color = models.CharField(max_length=7, default="#888888", help_text="CSS hex colour, e.g. #e45756")
    hotkey = models.CharField(max_length=1, blank=True)
    description = models.TextField(blank=True, help_text="The guideline shown to annotators.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="label_unique_name"),
            models.UniqueConstraint(
                fields=["project", "hotkey"], condition=~Q(hotkey=""), name="label_unique_hotkey"
            ),
            models.CheckConstraint(condition=Q(color__regex=r"^#[0-9A-Fa-f]{6}$"), name="label_color_hex"),
        ]

    def __str__(self):
        return self.name


class TokensField(models.JSONField):
    """A document's token offsets: a list of (start, end) pairs in Python, packed bytes in the database.

    JSON spent about thirteen bytes a token, and a 300-word article's row
    outgrew a database page; packed (annotator.offsets.pack_offsets)
    they take about two. It stays a JSONField to everything that reads the
    model (forms, the admin, serializers see a JSON list); only the column
    is binary. Nothing filters on it. (The codec is in the pure offsets
    module, which loads no spaCy.)
    """

    def get_internal_type(self):
        return "BinaryField"

    def from_db_value(self, value, expression, connection):
        return None if value is None else unpack_offsets(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or hasattr(value, "as_sql"):
            return value
        return connection.Database.Binary(pack_offsets(value))

    def to_python(self, value):
        if isinstance(value, (bytes, bytearray, memoryview)):
            return unpack_offsets(value)
        return value


class Document(models.Model):
    """An article. Its text never changes once stored: every layer's offsets point into it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    external_id = models.CharField(max_length=255, blank=True, help_text="The id the document came with.")
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    content_hash = models.CharField(max_length=64)
    # [(start, end), ...] of the tokens, kept so selections snap without re-tokenising; stored packed
    # (about two bytes a token) in the table's last column, so the rest of the row fits one page.
    tokens = TokensField(default=list)
    meta = models.JSONField(default=dict, blank=True)
    order = models.PositiveIntegerField(default=0, help_text="Import order, the default work order.")
    # Work-order keys: a seeded shuffle, and how unsure the latest extractor was (higher first).
    shuffle_key = models.BigIntegerField(default=0)
    uncertainty = models.FloatField(default=0.0)
    # The latest gold revision, denormalised for fast filters: its time and author; None means no gold
    # yet (an empty gold is a document with no spans). Written only by services.gold with the revision.
    gold_at = models.DateTimeField(null=True, blank=True)
    gold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The last review decision: a new gold revision, or a reviewer (or a k = 1 submission) confirming the
    # gold unchanged. A submission after it puts the document back in the review queue (annotator.states).
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The import that brought the document (a file, an API push); None for documents older than batches.
    batch = models.ForeignKey(
        "ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "content_hash"], name="document_unique_text"),
            models.CheckConstraint(condition=~Q(text=""), name="document_text_not_empty"),
        ]
        # The document list's sorts, walked by keyset (selectors.documents): each is one index range.
        indexes = [
            models.Index(fields=["project", "order", "id"], name="document_project_order"),
            # "No gold yet" in work order without reading the documents that have gold.
            models.Index(fields=["project", "order", "id"], condition=Q(gold_at__isnull=True), name="document_no_gold_order"),
            models.Index(fields=["project", "uncertainty", "id"], name="document_project_uncertainty"),
            models.Index(F("project"), Coalesce("gold_at", "created_at"), F("id"), name="document_project_updated"),
        ]

    def __str__(self):
        return self.title or self.external_id or f"Document {self.pk}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = Document.objects.filter(pk=self.pk).values_list("content_hash", flat=True).first()
            if stored is not None and stored != content_hash(self.text):
                raise ValidationError("A document's text is immutable: spans of every layer point into it.")
        self.content_hash = content_hash(self.text)
        super().save(*args, **kwargs)


class ImportBatch(models.Model):
    """One import (a file, an API push) that created documents: what the document list filters "imported batch" on."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_batches")
    source = models.CharField(max_length=300, blank=True, help_text="What was imported (a file name, the API).")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Import {self.pk}" + (f" ({self.source})" if self.source else "") + f", {self.created_at:%Y-%m-%d %H:%M}"


class Assignment(models.Model):
    """A manager handing a document to a named annotator: “Start annotating” serves it to them first.

    An assignment reserves nothing: the annotator still claims a slot when
    they start (so a document never gets more than k annotations), and
    removing or adding assignments never touches work already done.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "user"], name="assignment_unique_user")]
        indexes = [models.Index(fields=["user", "document"], name="assignment_user_document")]

    def __str__(self):
        return f"{self.document_id} to {self.user_id}"


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


class EvaluationRun(models.Model):
    """One scoring of an extractor version against a project's gold, kept for the history chart.

    `gold_fingerprint` hashes the scored gold (documents and spans), so two runs
    on the same gold can be told from runs on a gold that has grown or changed.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="evaluation_runs")
    extractor = models.ForeignKey(
        ExtractorVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluation_runs"
    )
    # The version string, kept even if the extractor version is deleted.
    extractor_version = models.CharField(max_length=150)
    gold_documents = models.PositiveIntegerField(default=0, help_text="How many documents with gold were scored.")
    gold_fingerprint = models.CharField(max_length=64)
    # The `evaluate --json` object: {"documents": n, "schemes": {...}} plus the confusion table.
    results = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["project", "created_at"], name="evaluationrun_project_time")]

    def __str__(self):
        return f"{self.extractor_version} on {self.gold_documents} gold documents ({self.created_at:%Y-%m-%d %H:%M})"


class TaskRun(models.Model):
    """One piece of background work (prediction, export, evaluation, training, import): who asked, how far it has got.

    The work itself is cut into RunChunk rows that workers claim one at a
    time (a prediction run: id ranges of documents; the other kinds: one
    chunk for the whole step); annotator/jobs/ starts, claims and finishes
    them. `done` of a prediction run is a count of what is stored (documents
    of the run's range with the run's extractor version), refreshed as
    workers write; the other kinds report their own done/total.
    `heartbeat_at` is when the run was created, planned or last handed to
    the workers again (jobs.start.replan kicks a silent run once per period).
    """

    class Kind(models.TextChoices):
        PREDICT = "predict", "Prediction"
        EXPORT = "export", "Export"
        EVALUATE = "evaluate", "Evaluation"
        TRAIN = "train", "Training"
        IMPORT = "import", "Import"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="task_runs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="task_runs"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # What was asked: model, format, layer, annotator…; a planned prediction adds its version and range.
    params = models.JSONField(default=dict, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # Messages of what went wrong (a failed chunk, a missing model, a bad file); the run goes on where it can.
    errors = models.JSONField(default=list, blank=True)
    # What came out: counts, the export's file name, the evaluation's scores, the import's report.
    result = models.JSONField(default=dict, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["project", "created_at"], name="taskrun_project_time"),
            models.Index(fields=["status"], name="taskrun_status"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0


class RunChunk(models.Model):
    """A piece of a run that one worker does at a time, claimed like a document (SKIP LOCKED / IMMEDIATE).

    A prediction chunk is the id range [first_id, last_id] of documents that
    lacked the run's predictions when it was planned; the one step of an
    export, evaluation, training or import is chunk 0 with no range. The
    holder proves it still holds the chunk by its `token` and says it is
    alive by moving `claimed_at`; a chunk claimed longer ago than
    TASK_STALE_SECONDS is taken again by any worker (what it stored stays,
    what is missing is done). No process ids: a silent holder is a dead one.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(TaskRun, on_delete=models.CASCADE, related_name="chunk_rows")
    index = models.PositiveIntegerField()
    first_id = models.BigIntegerField(null=True, blank=True)
    last_id = models.BigIntegerField(null=True, blank=True)
    # Documents to do when it was planned (prediction), for the page.
    size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="runchunk_run_index")]
        indexes = [models.Index(fields=["state", "claimed_at"], name="runchunk_state_claimed")]

    def __str__(self):
        return f"chunk {self.index} of run {self.run_id} ({self.state})"


class StoredPipeline(models.Model):
    """The bytes of a trained extractor version (a gzipped tar of its spaCy folder).

    In the database, so every web process and worker, on any machine, loads
    the same pipeline by its version string. A table of its own, so listing
    versions never reads the bytes.
    """

    extractor = models.OneToOneField(
        ExtractorVersion, on_delete=models.CASCADE, primary_key=True, related_name="stored_pipeline"
    )
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    labels = models.JSONField(default=list)
    # How the trained recogniser meets the rules: model_only or rules_with_trained_ner.
    merge = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.extractor_id}: {self.size} bytes"


class TrainingRun(models.Model):
    """One training on a project's gold: the split, the version made, its dev scores beside the current one."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="trainings")
    task = models.ForeignKey(TaskRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    extractor = models.ForeignKey(
        ExtractorVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="trainings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    labels = models.JSONField(default=list)
    train_documents = models.PositiveIntegerField(default=0)
    dev_documents = models.PositiveIntegerField(default=0)
    dev_ids = models.JSONField(default=list, blank=True)
    # How many documents had gold when it was trained (retraining counts from here).
    gold_documents = models.PositiveIntegerField(default=0)
    gold_fingerprint = models.CharField(max_length=64, blank=True)
    merge = models.CharField(max_length=32, blank=True)
    # {"dev": scores, "current": scores, "current_version", "merges", "curve", "verdict", "seconds", ...}
    results = models.JSONField(default=dict, blank=True)
    log = models.JSONField(default=list, blank=True)
    promoted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "created_at"], name="trainingrun_project_time")]

    def __str__(self):
        return f"Training {self.pk} of {self.project} ({self.extractor_id or 'unfinished'})"


class ScoreSnapshot(models.Model):
    """Numbers too heavy for a request (agreement, an evaluation, spans per label), stored by a background run.

    `basis` says what they were computed from (selectors.dashboards.basis:
    the newest gold revision, edit and prediction ids, the documents' count,
    the labels); a page compares it with the current basis to tell the
    numbers' age and whether they are out of date. One row per project,
    kind and subject (the extractor version of an evaluation; empty
    otherwise): a new computation replaces it.
    """

    class Kind(models.TextChoices):
        EVALUATION = "evaluation", "Evaluation"
        AGREEMENT = "agreement", "Agreement"
        LABELS = "labels", "Spans per label"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="score_snapshots")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=150, blank=True)
    basis = models.CharField(max_length=500)
    documents = models.PositiveIntegerField(default=0, help_text="How many documents the numbers were computed from.")
    results = models.JSONField(default=dict)
    seconds = models.FloatField(default=0.0, help_text="How long the computation took.")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "subject"], name="scoresnapshot_one_per_subject")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.project} ({self.subject or 'all'}, {self.computed_at:%Y-%m-%d %H:%M})"
