"""Scores: the evaluation of an extractor version against the gold, and inter-annotator agreement.

A GET reads what the pages read (selectors.dashboards.*_shown): the stored
snapshot when it is current, the numbers computed in the request only for a
small project, else the last snapshot marked stale (or none yet). Every
answer says where its numbers come from and how old they are; a POST
computes them again in the background (annotator.jobs.start), so no GET
reads every span of a large project.
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ... import scoring, selectors
from ...jobs import start
from ...models import Document, EvaluationRun
from ...selectors import dashboards
from .. import serializers as s
from ..permissions import OVERSEERS, APIView
from ..filters import ModelFilter, filters
from .common import accepted, valid

#: What the evaluation snapshot adds to `evaluate --json`'s numbers (not part of a stored run's results).
SNAPSHOT_KEYS = ("gold_documents", "total_documents")


def freshness(shown: dashboards.Shown) -> dict:
    """Where the numbers come from (live: computed now; snapshot; none yet), when, and whether out of date."""
    now = timezone.now()
    if shown.live:
        return {"source": "live", "computed_at": now, "age_seconds": 0.0, "stale": False}
    stored = shown.snapshot
    if stored is None:
        return {"source": "none", "computed_at": None, "age_seconds": None, "stale": True}
    age = round((now - stored.computed_at).total_seconds(), 1)
    return {"source": "snapshot", "computed_at": stored.computed_at, "age_seconds": age, "stale": shown.stale}


def _run_of(project, extractor, results: dict) -> int | None:
    """The last stored evaluation run of `extractor`, if it has these very numbers (one query)."""
    last = EvaluationRun.objects.filter(project=project, extractor=extractor).order_by("-created_at", "-id").first()
    plain = {key: value for key, value in results.items() if key not in SNAPSHOT_KEYS}
    return last.pk if last is not None and last.results == plain else None


class Evaluation(APIView):
    """Scores of an extractor version against the gold (managers and reviewers): read, or computed again as a task."""

    serializer_class = s.TaskRunSerializer
    roles = OVERSEERS

    @extend_schema(parameters=[ModelFilter], responses={200: s.EvaluationSerializer})
    def get(self, request, slug):
        name = filters(self, ModelFilter).get("model")
        extractor = scoring.version_named(name, self.project) if name else selectors.latest_extractor(self.project)
        if extractor is None:
            raise Http404(f"No extractor version {name!r} in this project." if name else "No predictions in this project yet.")
        counts = dashboards.gold_counts(self.project)
        labels = [label.name for label in self.project.labels.all()]
        shown = dashboards.evaluation_shown(self.project, extractor, counts, labels)
        results = shown.results or {}
        return Response(
            {
                "extractor": extractor.version,
                "evaluation_run": _run_of(self.project, extractor, results) if results else None,
                "gold_documents": results.get("gold_documents", counts["gold"]),
                "predicted_documents": results.get("predicted_documents"),
                "documents": results.get("documents", results.get("gold_documents")),
                "schemes": results.get("schemes", {}),
                "results": {key: value for key, value in results.items() if key not in SNAPSHOT_KEYS},
                **freshness(shown),
            }
        )

    @extend_schema(
        request=s.EvaluationStartSerializer,
        responses={202: s.TaskRunSerializer},
        description="Score in the background (large projects); the task's result holds the scores, and the GET then reads them.",
    )
    def post(self, request, slug):
        data = valid(s.EvaluationStartSerializer, request.data)
        return accepted(self, start.start_evaluation(self.project, request.user, model=data.get("model") or None))


AGREEMENT_KEYS = ("a", "b", "documents", "f1_strict", "f1_unlabelled", "f1_overlap", "cohen_kappa", "per_label")


EMPTY_ENTRY = {"documents": 0, "f1_strict": None, "f1_unlabelled": None, "f1_overlap": None, "cohen_kappa": None, "per_label": {}}


def _plain(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key in AGREEMENT_KEYS}


def _lowest(by_document: list[dict]) -> list[dict]:
    """The stored lowest-agreement documents, each with the id it came with (one query for those few)."""
    external = dict(Document.objects.filter(pk__in=[d["id"] for d in by_document]).values_list("id", "external_id"))
    return [
        {"document": d["id"], "id": external.get(d["id"]) or str(d["id"]), "f1_strict": d["f1_strict"], "cohen_kappa": d["cohen_kappa"]}
        for d in by_document
    ]


class Agreement(APIView):
    """Inter-annotator agreement over the submitted annotations (managers and reviewers): read, or computed again as a task."""

    serializer_class = s.TaskRunSerializer
    roles = OVERSEERS

    @extend_schema(responses={200: s.AgreementSerializer})
    def get(self, request, slug):
        shown = dashboards.agreement_shown(self.project)
        result = shown.results or {}
        return Response(
            {
                "pairs": [_plain(pair) for pair in result.get("pairs", [])],
                "overall": {**EMPTY_ENTRY, **_plain(result.get("overall", {}))},
                "krippendorff_alpha": result.get("krippendorff_alpha"),
                "fleiss_kappa": result.get("fleiss_kappa"),
                "per_label": result.get("per_label", {}),
                "documents": _lowest(result.get("by_document", [])),
                "documents_scored": result.get("documents_scored", 0),
                **freshness(shown),
            }
        )

    @extend_schema(
        request=None,
        responses={202: s.TaskRunSerializer},
        description="Compute the agreement again in the background (large projects); the GET then reads it.",
    )
    def post(self, request, slug):
        return accepted(self, start.start_agreement(self.project, request.user))
