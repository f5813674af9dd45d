"""Predictions (read, push an external model's), models, gold: managers and reviewers only."""

import pytest

from annotator import services
from annotator.models import Document, ExtractorVersion, Membership, PredictedSpan, Prediction

from .conftest import url

pytestmark = pytest.mark.django_db

MANAGER, REVIEWER, ANNOTATOR = Membership.Role.MANAGER, Membership.Role.REVIEWER, Membership.Role.ANNOTATOR


@pytest.mark.parametrize("role", [MANAGER, REVIEWER])
def test_read_predictions_and_models(project, docs, as_user, fake_extractor, role):
    _, client = as_user(role)
    models = client.get(url(project, "models/")).json()
    assert [(m["version"], m["documents"]) for m in models] == [("fake-extractor-1", 3)]
    body = client.get(url(project, "predictions/?page_size=2")).json()
    assert body["count"] == 3
    first = body["results"][0]
    assert first["document"] == docs[0].pk and first["meta"]["model"] == "fake-extractor-1"
    assert [(s["label"], s["text"], s["score"]) for s in first["spans"]][0] == ("ACTOR", "Iraqi forces", 0.9)
    one = client.get(url(project, f"predictions/?model=fake-extractor-1&document={docs[2].pk}")).json()
    assert [r["document"] for r in one["results"]] == [docs[2].pk]
    assert client.get(url(project, "predictions/?model=nope")).status_code == 404


def test_annotators_read_no_layer(project, docs, as_user):
    _, client = as_user(ANNOTATOR)
    for tail in ("predictions/", "gold/", "evaluation/", "agreement/"):
        assert client.get(url(project, tail)).status_code == 403, tail


def test_predictions_404_before_any(project, as_user):
    _, client = as_user(MANAGER)
    assert client.get(url(project, "predictions/")).status_code == 404


def test_push_predictions_of_an_external_model(project, docs, as_user):
    _, client = as_user(MANAGER)
    body = {
        "model": "crf-v2",
        "documents": [
            {"document": docs[0].pk, "spans": [{"start": 21, "end": 26, "label": "LOCATION", "score": 0.7}]},
            {"id": "new-1", "text": "Kurdish fighters reached Raqqa.", "spans": [{"start": 25, "end": 30, "label": "LOCATION"}]},
        ],
    }
    response = client.post(url(project, "predictions/"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["documents_created"] == 1 and response.json()["spans"] == 2
    version = ExtractorVersion.objects.get(version="crf-v2")
    assert Prediction.objects.filter(extractor=version).count() == 2
    span = PredictedSpan.objects.get(prediction__document=docs[0], prediction__extractor=version)
    assert (span.start, span.end, span.score) == (21, 26, 0.7)
    # Predictions are never edited: pushing again leaves the stored ones.
    again = client.post(url(project, "predictions/"), {"model": "crf-v2", "documents": body["documents"][:1]}, format="json")
    assert again.status_code == 201 and again.json()["skipped"]
    listed = client.get(url(project, "predictions/?model=crf-v2")).json()
    assert listed["count"] == 2


@pytest.mark.parametrize(
    "item, status",
    [
        ({"document": 999999, "spans": []}, 400),
        ({"spans": []}, 400),
        ({"document": 1, "text": "both", "spans": []}, 400),
    ],
)
def test_push_predictions_refuses_bad_items(project, docs, as_user, item, status):
    _, client = as_user(MANAGER)
    assert client.post(url(project, "predictions/"), {"model": "m", "documents": [item]}, format="json").status_code == status


def test_push_under_the_extractors_own_version_is_refused(project, docs, as_user):
    _, client = as_user(MANAGER)
    body = {"model": "fake-extractor-1", "documents": [{"document": docs[0].pk, "spans": []}]}
    ExtractorVersion.objects.filter(version="fake-extractor-1").update(base_model="fake")
    assert client.post(url(project, "predictions/"), body, format="json").status_code == 400


@pytest.mark.parametrize("role", [REVIEWER, ANNOTATOR])
def test_only_managers_push_predictions(project, docs, as_user, role):
    _, client = as_user(role)
    body = {"model": "m", "documents": [{"document": docs[0].pk, "spans": []}]}
    assert client.post(url(project, "predictions/"), body, format="json").status_code == 403


@pytest.mark.parametrize("role", [MANAGER, REVIEWER])
def test_gold(project, docs, as_user, make_user, role):
    ann = make_user("ann", project=project)
    annotation = services.start_annotation(docs[1], ann)
    services.submit(annotation, ann, version=annotation.version)
    _, client = as_user(role)
    body = client.get(url(project, "gold/")).json()
    assert body["count"] == 1
    record = body["results"][0]
    assert record["document"] == docs[1].pk and record["text"] == docs[1].text
    assert [(s["label"], s["text"]) for s in record["spans"]] == [("ACTOR", "Iraqi forces"), ("LOCATION", "Mosul"), ("LOCATION", "Raqqa")]
    assert client.get(url(project, f"gold/?document={docs[0].pk}")).json()["count"] == 0
    assert Document.objects.filter(gold_at__isnull=False).count() == 1
