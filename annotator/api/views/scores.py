"""Scores: the evaluation of an extractor version against the gold, and inter-annotator agreement."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ... import scoring, selectors
from ...jobs import start
from ...selectors import dashboards
from .. import serializers as s
from ..permissions import OVERSEERS, APIView
from ..filters import ModelFilter, filters
from .common import accepted, valid


class Evaluation(APIView):
    """Scores of an extractor version against the gold (managers and reviewers): read now, or run as a task."""

    serializer_class = s.TaskRunSerializer
    roles = OVERSEERS

    @extend_schema(parameters=[ModelFilter], responses={200: s.EvaluationSerializer})
    def get(self, request, slug):
        name = filters(self, ModelFilter).get("model")
        extractor = scoring.version_named(name, self.project) if name else selectors.latest_extractor(self.project)
        if extractor is None:
            raise Http404(f"No extractor version {name!r} in this project." if name else "No predictions in this project yet.")
        scored = scoring.score(self.project, extractor, store=False)  # a GET stores nothing
        run = scoring.stored_run(self.project, extractor, scored.gold, scored.results)
        results = scored.results
        return Response(
            {
                "extractor": extractor.version,
                "evaluation_run": run.pk if run else None,
                "gold_documents": len(scored.gold.documents),
                "predicted_documents": scored.predicted_documents,
                "documents": results.get("documents", len(scored.gold.documents)),
                "schemes": results.get("schemes", {}),
                "results": results,
            }
        )

    @extend_schema(
        request=s.EvaluationStartSerializer,
        responses={202: s.TaskRunSerializer},
        description="Score in the background (large projects); the task's result holds the scores.",
    )
    def post(self, request, slug):
        data = valid(s.EvaluationStartSerializer, request.data)
        return accepted(self, start.start_evaluation(self.project, request.user, model=data.get("model") or None))


AGREEMENT_KEYS = ("a", "b", "documents", "f1_strict", "f1_unlabelled", "f1_overlap", "cohen_kappa", "per_label")


def _plain(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key in AGREEMENT_KEYS}


class Agreement(APIView):
    """Inter-annotator agreement over the submitted annotations (managers and reviewers)."""

    serializer_class = s.AgreementSerializer
    roles = OVERSEERS

    @extend_schema(responses={200: s.AgreementSerializer})
    def get(self, request, slug):
        result = dashboards.project_agreement(self.project)
        return Response(
            {
                "pairs": [_plain(pair) for pair in result["pairs"]],
                "overall": {"per_label": {}, **_plain(result["overall"])},
                "krippendorff_alpha": result["krippendorff_alpha"],
                "fleiss_kappa": result["fleiss_kappa"],
                "per_label": result["per_label"],
                "documents": [
                    {
                        "document": d["document"].pk,
                        "id": d["document"].external_id or str(d["document"].pk),
                        "f1_strict": d["f1_strict"],
                        "cohen_kappa": d["cohen_kappa"],
                    }
                    for d in result["by_document"]
                ],
            }
        )
