"""The app's fixed vocabularies as TextChoices: roles, layers, document states, annotation statuses and kinds.

One spelling each: views, the API, services, selectors and templates' Python
name these members, never the strings. The models use these classes as their
fields' choices (Membership.Role is Role, Annotation.Status is
AnnotationStatus, Annotation.Kind is AnnotationKind), so a value read from
the database compares equal to a member.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """A user's role in a project: managers run it, reviewers settle the gold, annotators label."""

    MANAGER = "manager", "Manager"
    ANNOTATOR = "annotator", "Annotator"
    REVIEWER = "reviewer", "Reviewer"


# Who oversees a project: sees everyone's annotations, the gold and the scores.
OVERSEERS = (Role.MANAGER, Role.REVIEWER)


class Layer(models.TextChoices):
    """Where spans live: the adjudicated gold, a model's predictions, the annotators' annotations."""

    GOLD = "gold", "Gold"
    MODEL = "model", "Model predictions"
    ANNOTATIONS = "annotations", "Annotations"


class DocumentState(models.TextChoices):
    """Where a document stands in the workflow (the rule is in annotator.states)."""

    UNASSIGNED = "unassigned", "Unassigned"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted (n of k)"
    WAITING = "waiting", "Waiting for review"
    REVIEWED = "reviewed", "Reviewed"


class AnnotationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    SKIPPED = "skipped", "Skipped"


class AnnotationKind(models.TextChoices):
    """An annotator's own work, or a reviewer's working copy of the gold."""

    ANNOTATION = "annotation", "Annotation"
    REVIEW = "review", "Review"
