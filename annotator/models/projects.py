"""Projects and their documents: members, labels, the immutable text with its tokens, import batches, assignments."""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import roles
from ..offsets import pack_offsets, unpack_offsets


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
