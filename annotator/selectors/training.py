"""Reading a project's trainings: the list of runs and the gold each label has (the training page)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count

from ..models import GoldSpan, Project, TrainingRun


def trainings(project: Project, limit: int = 20) -> list[TrainingRun]:
    return list(
        TrainingRun.objects.filter(project=project).select_related("extractor", "created_by", "task").order_by("-created_at", "-id")[:limit]
    )


def label_counts(project: Project) -> dict[str, int]:
    """Gold spans per label (one query)."""
    counts = defaultdict(int)
    for name, n in (
        GoldSpan.objects.filter(document__project=project, document__gold_at__isnull=False)
        .values_list("label__name")
        .annotate(n=Count("id"))
    ):
        counts[name] = n
    return dict(counts)
