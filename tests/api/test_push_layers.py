"""One push stores documents and their spans in any layer: gold, model (predictions) or annotations."""

import pytest

from annotator.models import Annotation, Document, ExtractorVersion, GoldSpan, Membership, PredictedSpan, Prediction

from .conftest import url

pytestmark = pytest.mark.django_db
MANAGER = Membership.Role.MANAGER
TEXT = "Iraqi forces held Mosul."
OTHER = "Kurdish fighters reached Raqqa."


def items():
    return [
        {"id": "a", "text": TEXT, "spans": [{"start": 0, "end": 12, "label": "ACTOR", "score": 0.4, "source": "crf"}, {"start": 18, "end": 23, "label": "LOCATION", "score": 0.9}]},
        {"id": "b", "text": OTHER, "spans": [{"start": 25, "end": 30, "label": "LOCATION"}]},
        {"id": "c", "text": "Only a text."},
    ]


def test_a_push_with_predictions_is_one_request(project, as_user):
    _, client = as_user(MANAGER)
    response = client.post(url(project, "documents/"), {"documents": items(), "layer": "model", "model": "crf-v3"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"documents_created": 3, "documents_existing": 0, "spans": 3, "skipped": [], "task": None}
    version = ExtractorVersion.objects.get(version="crf-v3")
    assert Prediction.objects.filter(extractor=version).count() == 2  # "c" came without spans: a text only
    stored = PredictedSpan.objects.filter(prediction__extractor=version).order_by("prediction__document__external_id", "start")
    assert [(p.prediction.document.external_id, p.start, p.end, p.label.name, p.score, p.source) for p in stored] == [
        ("a", 0, 12, "ACTOR", 0.4, "crf"),
        ("a", 18, 23, "LOCATION", 0.9, ""),
        ("b", 25, 30, "LOCATION", None, ""),
    ]
    assert Document.objects.get(external_id="a").uncertainty == pytest.approx(0.6)
    assert not GoldSpan.objects.exists()
    again = client.post(url(project, "documents/"), {"documents": items()[:1], "layer": "model", "model": "crf-v3"}, format="json")
    assert again.status_code == 201 and again.json()["documents_existing"] == 1 and again.json()["skipped"]
    assert PredictedSpan.objects.filter(prediction__extractor=version).count() == 3


def test_the_gold_layer_is_the_default(project, as_user):
    _, client = as_user(MANAGER)
    assert client.post(url(project, "documents/"), {"documents": items()}, format="json").status_code == 201
    assert GoldSpan.objects.count() == 3 and not Prediction.objects.exists()


def test_a_push_into_the_annotations_layer_submits_the_members_annotations(project, as_user, make_user):
    _, client = as_user(MANAGER)
    ann = make_user("ann", project=project)
    body = {"documents": items(), "layer": "annotations", "annotator": "ann"}
    assert client.post(url(project, "documents/"), body, format="json").status_code == 201
    annotations = Annotation.objects.filter(annotator=ann)
    assert annotations.count() == 2 and {a.status for a in annotations} == {Annotation.Status.SUBMITTED}
    assert sorted(annotations.get(document__external_id="a").spans.values_list("start", "end")) == [(0, 12), (18, 23)]


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"layer": "model"}, "model"),
        ({"layer": "annotations"}, "annotator"),
        ({"layer": "annotations", "annotator": "nobody"}, "annotator"),
        ({"layer": "model", "model": "fake-extractor-1"}, "model"),
        ({"layer": "weights"}, "layer"),
    ],
)
def test_a_layer_without_what_it_needs_is_refused_and_nothing_is_stored(project, as_user, make_user, extra, field):
    _, client = as_user(MANAGER)
    make_user("outsider")  # a user, but not of this project
    ExtractorVersion.objects.create(version="fake-extractor-1", name="fake", base_model="fake")
    response = client.post(url(project, "documents/"), {"documents": items(), **extra}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Document.objects.exists()


def test_a_bad_span_names_its_item_and_nothing_of_the_push_is_stored(project, as_user):
    _, client = as_user(MANAGER)
    documents = items()
    documents[1]["spans"].append({"start": 20, "end": 99, "label": "LOCATION"})
    response = client.post(url(project, "documents/"), {"documents": documents, "layer": "model", "model": "m"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["documents"]) == ["1"] and "outside the text" in str(response.json())
    assert not Document.objects.exists() and not Prediction.objects.exists()


def test_a_malformed_span_gets_drfs_words_with_its_place(project, as_user):
    _, client = as_user(MANAGER)
    documents = items()
    documents[0]["spans"][1]["start"] = "eighteen"
    response = client.post(url(project, "documents/"), {"documents": documents, "layer": "model", "model": "m"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"documents": {"0": {"spans": {"1": {"start": ["A valid integer is required."]}}}}}
    assert not Document.objects.exists()
