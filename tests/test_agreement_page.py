"""Agreement from the database: the hand-worked vector of EVAL_VECTOR.md, the command and the page."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotator.selectors import dashboards
from annotator.models import Annotation, AnnotationSpan

from .conftest import make_document

TEXT = "Police officers in New York City seized 3 kilograms of cocaine from the Sinaloa cartel on Monday."
A = [("ACTOR", 0, 15), ("LOCATION", 19, 32), ("QUANTITY", 40, 51), ("ACTOR", 72, 86)]
B = [("ACTOR", 0, 15), ("LOCATION", 23, 32), ("ACTOR", 40, 51), ("QUANTITY", 90, 96)]


@pytest.fixture
def vector(project, make_user):
    document = make_document(project, text=TEXT)
    labels = {label.name: label for label in project.labels.all()}
    for name, spans in (("gold-a", A), ("pred-b", B)):
        user = make_user(name, project=project)
        annotation = Annotation.objects.create(document=document, annotator=user, status="submitted")
        AnnotationSpan.objects.bulk_create(
            AnnotationSpan(annotation=annotation, label=labels[l], start=s, end=e) for l, s, e in spans
        )
    return document


def test_eval_vector_numbers(vector, project):
    result = dashboards.project_agreement(project)
    (pair,) = result["pairs"]
    assert pair["documents"] == 1
    assert pair["f1_strict"] == pytest.approx(0.25)
    assert pair["f1_unlabelled"] == pytest.approx(0.5)
    assert pair["cohen_kappa"] == pytest.approx(0.4627, abs=1e-4)
    assert result["krippendorff_alpha"] == pytest.approx(0.4737, abs=1e-4)


def test_agreement_command_json(vector, capsys):
    call_command("agreement", "--json")
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"pairs", "overall", "krippendorff_alpha"}
    (pair,) = out["pairs"]
    assert {"a", "b", "documents", "f1_strict", "f1_unlabelled", "f1_overlap", "cohen_kappa"} <= set(pair)
    assert {"documents", "f1_strict", "f1_unlabelled", "f1_overlap", "cohen_kappa"} <= set(out["overall"])
    assert out["overall"]["f1_strict"] == pytest.approx(0.25)


def test_agreement_page_for_reviewers_only(client, vector, project, make_user):
    client.force_login(make_user("rita", role="reviewer", project=project))
    page = client.get(reverse("agreement", args=["news"])).content.decode()
    assert "0.25" in page and "gold-a" in page and reverse("review", args=["news", vector.pk]) in page
    client.force_login(make_user("ann", project=project))
    assert client.get(reverse("agreement", args=["news"])).status_code == 403
