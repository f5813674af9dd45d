"""Annotations and their spans: reading by role, edits with the version, 409 for a stale one, submit."""

import pytest

from annotator import services
from annotator.models import Annotation, AnnotationSpan, EditEvent, GoldSpan, Membership

from .conftest import url

pytestmark = pytest.mark.django_db

MANAGER, REVIEWER, ANNOTATOR = Membership.Role.MANAGER, Membership.Role.REVIEWER, Membership.Role.ANNOTATOR


@pytest.fixture
def mine(project, docs, as_user):
    """An annotator, their client, and their annotation of the first document (from the fake predictions)."""
    user, client = as_user(ANNOTATOR, "ann")
    response = client.post(url(project, "next/"))
    assert response.status_code == 200, response.content
    return user, client, response.json()


def test_next_opens_an_annotation_from_the_predictions(project, docs, mine):
    _, _, annotation = mine
    assert annotation["document"] == docs[0].pk and annotation["version"] == 1 and annotation["status"] == "draft"
    assert [(s["label"], s["text"], s["origin"]) for s in annotation["spans"]] == [
        ("ACTOR", "Iraqi forces", "model_accepted"),
        ("LOCATION", "Mosul", "model_accepted"),
        ("LOCATION", "Raqqa", "model_accepted"),
    ]


def test_next_answers_204_when_nothing_is_left(project, as_user):
    _, client = as_user(ANNOTATOR)
    assert client.post(url(project, "next/")).status_code == 204


def test_open_a_given_document_and_the_k_rule(project, docs, mine, as_user):
    other, client = as_user(ANNOTATOR, "other")
    # k = 1 and "ann" holds docs[0]: nobody else may start it, not even a manager (409, the slots are taken).
    assert client.post(url(project, f"documents/{docs[0].pk}/annotation/")).status_code == 409
    created = client.post(url(project, f"documents/{docs[1].pk}/annotation/"))
    assert created.status_code == 201
    assert client.post(url(project, f"documents/{docs[1].pk}/annotation/")).status_code == 200
    _, boss = as_user(MANAGER)
    refused = boss.post(url(project, f"documents/{docs[0].pk}/annotation/"))
    assert refused.status_code == 409 and "already has its 1 annotator" in refused.json()["detail"]
    assert boss.post(url(project, f"documents/{docs[2].pk}/annotation/")).status_code == 201


def test_annotators_see_only_their_own_annotations(project, docs, mine, as_user):
    user, client, annotation = mine
    other, other_client = as_user(ANNOTATOR, "other")
    theirs = services.start_annotation(docs[1], other)
    listed = client.get(url(project, "annotations/")).json()["results"]
    assert [a["id"] for a in listed] == [annotation["id"]] and listed[0]["span_count"] == 3
    assert client.get(url(project, f"annotations/{theirs.pk}/")).status_code == 404
    assert client.get(url(project, "annotations/?annotator=other")).json()["count"] == 0
    for role in (MANAGER, REVIEWER):
        _, overseer = as_user(role)
        everyone = overseer.get(url(project, "annotations/")).json()
        assert everyone["count"] == 2
        assert overseer.get(url(project, f"annotations/{theirs.pk}/")).json()["annotator"] == "other"
        assert overseer.get(url(project, "annotations/?annotator=ann&status=draft")).json()["count"] == 1
        assert overseer.get(url(project, f"annotations/?document={docs[1].pk}")).json()["results"][0]["id"] == theirs.pk
    assert client.get(url(project, "annotations/?status=nope")).status_code == 400
    assert client.get(url(project, "annotations/?document=x")).status_code == 400


def test_add_change_delete_a_span_with_the_version(project, docs, mine):
    user, client, annotation = mine
    spans = url(project, f"annotations/{annotation['id']}/spans/")
    added = client.post(spans, {"version": 1, "start": 0, "end": 5, "label": "QUANTITY"}, format="json")
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["version"] == 2 and body["span"]["text"] == "Report" and body["span"]["origin"] == "manual"
    span_id = body["span"]["id"]
    changed = client.patch(f"{spans}{span_id}/", {"version": 2, "label": "ACTOR", "end": 8}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 3 and changed.json()["span"]["label"] == "ACTOR"
    assert changed.json()["span"]["text"] == "Report 1"
    deleted = client.delete(f"{spans}{span_id}/?version=3")
    assert deleted.status_code == 200 and deleted.json() == {"version": 4, "span": None}
    assert not AnnotationSpan.objects.filter(pk=span_id).exists()
    actions = list(EditEvent.objects.filter(annotation_id=annotation["id"]).values_list("action", flat=True))
    assert actions == ["create", "add", "change", "delete"]


def test_stale_version_gets_409_with_the_current_version_and_changes_nothing(project, docs, mine):
    _, client, annotation = mine
    spans = url(project, f"annotations/{annotation['id']}/spans/")
    client.post(spans, {"version": 1, "start": 0, "end": 5, "label": "QUANTITY"}, format="json")
    before = AnnotationSpan.objects.filter(annotation_id=annotation["id"]).count()
    stale = client.post(spans, {"version": 1, "start": 23, "end": 30, "label": "ACTOR"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2 and stale["X-Annotation-Version"] == "2"
    span_id = annotation["spans"][0]["id"]
    assert client.patch(f"{spans}{span_id}/", {"version": 1, "label": "QUANTITY"}, format="json").status_code == 409
    assert client.delete(f"{spans}{span_id}/?version=1").status_code == 409
    assert AnnotationSpan.objects.filter(annotation_id=annotation["id"]).count() == before
    assert Annotation.objects.get(pk=annotation["id"]).version == 2


def test_refused_edits_get_422_and_malformed_ones_400(project, docs, mine):
    _, client, annotation = mine
    spans = url(project, f"annotations/{annotation['id']}/spans/")
    overlap = client.post(spans, {"version": 1, "start": 10, "end": 20, "label": "ACTOR"}, format="json")
    assert overlap.status_code == 422 and "overlaps" in overlap.json()["detail"]
    assert client.post(spans, {"version": 1, "start": 0, "end": 5, "label": "WEAPON"}, format="json").status_code == 422
    assert client.post(spans, {"start": 0, "end": 5, "label": "ACTOR"}, format="json").status_code == 400
    assert client.delete(f"{spans}{annotation['spans'][0]['id']}/").status_code == 400  # no version
    assert client.patch(f"{spans}999999/", {"version": 1, "label": "ACTOR"}, format="json").status_code == 422
    label_id = project.labels.get(name="QUANTITY").pk
    assert client.post(spans, {"version": 1, "start": 0, "end": 5, "label": str(label_id)}, format="json").status_code == 201


def test_nobody_edits_someone_elses_annotation(project, docs, mine, as_user):
    _, _, annotation = mine
    spans = url(project, f"annotations/{annotation['id']}/spans/")
    for role in (MANAGER, REVIEWER, ANNOTATOR):
        _, client = as_user(role)
        assert client.post(spans, {"version": 1, "start": 0, "end": 5, "label": "ACTOR"}, format="json").status_code == 404
        assert client.post(url(project, f"annotations/{annotation['id']}/submit/"), {"version": 1}, format="json").status_code == 404


def test_submit_makes_gold_when_no_review_is_asked(project, docs, mine):
    _, client, annotation = mine
    submit = url(project, f"annotations/{annotation['id']}/submit/")
    assert client.post(submit, {"version": 7}, format="json").status_code == 409
    response = client.post(submit, {"version": 1}, format="json")
    assert response.status_code == 200 and response.json() == {"version": 2, "status": "submitted"}
    assert GoldSpan.objects.filter(document_id=annotation["document"]).count() == 3
