"""Documents: who sees which, filters by state, own status and text, pagination; pushing documents."""

import pytest

from annotator import services
from annotator.models import Document, GoldSpan, Membership, Prediction, TaskRun

from .conftest import token_client, url

pytestmark = pytest.mark.django_db

MANAGER, REVIEWER, ANNOTATOR = Membership.Role.MANAGER, Membership.Role.REVIEWER, Membership.Role.ANNOTATOR


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [d["id"] for d in response.json()["results"]]


@pytest.mark.parametrize("role", [MANAGER, REVIEWER])
def test_overseers_see_every_document_with_its_state(project, docs, as_user, role):
    _, client = as_user(role)
    body = client.get(url(project, "documents/")).json()
    assert body["count"] == 3
    assert {d["state"] for d in body["results"]} == {"unassigned"}
    assert all(d["has_gold"] is False for d in body["results"])


def test_annotators_see_only_the_documents_they_work_on(project, docs, as_user):
    user, client = as_user(ANNOTATOR)
    assert ids(client.get(url(project, "documents/"))) == []
    annotation = services.start_annotation(docs[1], user)
    body = client.get(url(project, "documents/")).json()["results"]
    assert [d["id"] for d in body] == [docs[1].pk]
    assert body[0]["my_status"] == "draft" and body[0]["my_annotation"] == annotation.pk
    assert body[0]["state"] is None and body[0]["has_gold"] is None  # no gold for annotators
    assert client.get(url(project, f"documents/{docs[0].pk}/")).status_code == 404
    detail = client.get(url(project, f"documents/{docs[1].pk}/")).json()
    assert detail["text"] == docs[1].text and detail["tokens"][0] == [0, 6]
    assert client.get(url(project, "documents/?state=reviewed")).status_code == 400


def test_filter_by_state_status_and_text(project, docs, as_user, make_user):
    ann = make_user("ann", project=project)
    draft = services.start_annotation(docs[0], ann)
    done = services.start_annotation(docs[1], ann)
    services.submit(done, ann, version=done.version)  # k=1, no review: gold at once
    _, client = as_user(MANAGER)
    assert ids(client.get(url(project, "documents/?state=reviewed"))) == [docs[1].pk]
    assert ids(client.get(url(project, "documents/?state=in_progress"))) == [docs[0].pk]
    assert ids(client.get(url(project, "documents/?state=in progress"))) == [docs[0].pk]
    assert ids(client.get(url(project, "documents/?state=unassigned"))) == [docs[2].pk]
    assert ids(client.get(url(project, "documents/?state=submitted"))) == []
    assert client.get(url(project, "documents/?state=lost")).status_code == 400
    assert ids(client.get(url(project, "documents/?q=report 3"))) == [docs[2].pk]
    assert ids(client.get(url(project, "documents/?q=nowhere"))) == []
    ann_client = token_client(ann)
    assert ids(ann_client.get(url(project, "documents/?status=draft"))) == [draft.document_id]
    assert ids(ann_client.get(url(project, "documents/?status=submitted"))) == [docs[1].pk]
    assert ids(ann_client.get(url(project, "documents/?status=new"))) == []


def test_pagination(project, docs, as_user):
    _, client = as_user(MANAGER)
    first = client.get(url(project, "documents/?page_size=2")).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert [d["id"] for d in first["results"] + second["results"]] == [d.pk for d in docs]
    assert client.get(url(project, "documents/?page=9")).status_code == 404


def test_manager_pushes_documents_with_gold_and_prediction(project, as_user, fake_extractor):
    _, client = as_user(MANAGER)
    text = "Iraqi forces held Mosul."
    body = {
        "documents": [
            {"id": "a1", "text": text, "spans": [{"start": 18, "end": 23, "label": "LOCATION", "text": "Mosul"}]},
            {"id": "a2", "text": "Nothing happened in Raqqa today.", "meta": {"source": "wire"}},
        ],
        "predict": True,
    }
    response = client.post(url(project, "documents/"), body, format="json")
    assert response.status_code == 201, response.content
    result = response.json()
    assert result["documents_created"] == 2 and result["spans"] == 1
    run = TaskRun.objects.get(pk=result["task"])
    assert run.status == "done" and run.done == run.total == 2
    assert Prediction.objects.filter(document__project=project).count() == 2
    a1 = Document.objects.get(external_id="a1")
    assert list(GoldSpan.objects.filter(document=a1).values_list("start", "end")) == [(18, 23)]
    again = client.post(url(project, "documents/"), {"documents": [{"text": text}]}, format="json").json()
    assert again["documents_created"] == 0 and again["documents_existing"] == 1


def test_documents_without_spans_get_no_gold(project, as_user):
    _, client = as_user(MANAGER)
    client.post(url(project, "documents/"), {"documents": [{"text": "Plain text."}]}, format="json")
    assert Document.objects.get(text="Plain text.").gold_at is None


@pytest.mark.parametrize(
    "span, message",
    [
        ({"start": 5, "end": 99, "label": "ACTOR"}, "outside the text"),
        ({"start": 0, "end": 5, "label": "WEAPON"}, "unknown label"),
        ({"start": 0, "end": 5, "label": "ACTOR", "text": "Nope!"}, "its text is"),
    ],
)
def test_bad_spans_are_refused_and_nothing_is_stored(project, as_user, span, message):
    _, client = as_user(MANAGER)
    response = client.post(url(project, "documents/"), {"documents": [{"text": "Iraqi forces held Mosul.", "spans": [span]}]}, format="json")
    assert response.status_code == 400 and message in str(response.json())
    assert not Document.objects.exists()


@pytest.mark.parametrize("role", [REVIEWER, ANNOTATOR])
def test_only_managers_push_documents(project, as_user, role):
    _, client = as_user(role)
    assert client.post(url(project, "documents/"), {"documents": [{"text": "x y"}]}, format="json").status_code == 403


def test_only_documents_pushed_with_spans_get_gold(project, as_user):
    _, client = as_user(MANAGER)
    body = {"documents": [{"text": "With no spans at all.", "spans": []}, {"text": "Just a text."}]}
    response = client.post(url(project, "documents/"), body, format="json")
    assert response.status_code == 201 and response.json()["documents_created"] == 2
    assert Document.objects.get(text="With no spans at all.").gold_at is not None  # checked: it has no spans
    assert Document.objects.get(text="Just a text.").gold_at is None
