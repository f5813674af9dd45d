"""The API's hot paths spend a fixed, small number of queries, whatever the number of spans or documents.

Fetch one document with its spans (predictions/?document=ID, the loop of
bench/api_loops.py), the gold and predictions lists, save / change / delete
one span, an annotation with its spans, and the predictions push: each is
counted on a small project, then again after spans and documents were
added, and must cost the same (issue 11, "a low request floor"). The
counts are pinned, so a query that creeps back in (a deferred field read a
row at a time, a label looked up twice) fails here.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator import services
from annotator.models import AnnotationSpan, Label

from ..conftest import make_document
from .conftest import url

TEXT = "Report {i}: Iraqi forces entered Mosul while families fled to Raqqa and Syria on {i} roads."


def queries(send) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = send()
    assert response.status_code < 300, response.content[:500]
    # Savepoints are the test's transaction at work; in a request they are BEGIN/COMMIT, not queries.
    sql = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    return len(sql), response


def more_documents(project, count, start):
    for i in range(start, start + count):
        make_document(project, text=TEXT.format(i=i), order=i)
    services.predict_documents(project)


@pytest.fixture
def boss(as_user):
    return as_user("manager")[1]


def test_fetch_one_document_with_its_spans_is_five_queries_at_any_size(project, docs, boss, fake_extractor):
    """Token, project, model version, the document, its spans: no COUNT for a one-document page, no
    project_id read per row."""
    model = fake_extractor.version
    fetch = lambda d: boss.get(url(project, f"predictions/?model={model}&document={d.pk}"))  # noqa: E731
    small, response = queries(lambda: fetch(docs[0]))
    assert small == 5
    assert response.json()["count"] == 1 and len(response.json()["results"][0]["spans"]) == 3
    more_documents(project, 12, 10)
    big, response = queries(lambda: fetch(docs[0]))
    assert big == small and response.json()["results"][0]["document"] == docs[0].pk


def test_record_lists_do_not_grow_with_the_page(project, docs, boss, fake_extractor):
    """A full page costs its COUNT and no query a row (predictions and gold)."""
    gold = [{"text": TEXT.format(i=i), "spans": [{"start": 0, "end": 6, "label": "ACTOR"}]} for i in range(100, 103)]
    assert boss.post(url(project, "documents/"), {"documents": gold}, format="json").status_code == 201
    small_predictions, _ = queries(lambda: boss.get(url(project, "predictions/?page_size=3")))
    small_gold, _ = queries(lambda: boss.get(url(project, "gold/?page_size=3")))
    more_documents(project, 12, 10)
    gold = [{"text": TEXT.format(i=i), "spans": [{"start": 0, "end": 6, "label": "ACTOR"}]} for i in range(200, 210)]
    assert boss.post(url(project, "documents/"), {"documents": gold}, format="json").status_code == 201
    big_predictions, response = queries(lambda: boss.get(url(project, "predictions/?page_size=12")))
    assert len(response.json()["results"]) == 12
    big_gold, response = queries(lambda: boss.get(url(project, "gold/?page_size=12")))
    assert len(response.json()["results"]) == 12 and all(r["spans"] for r in response.json()["results"])
    assert (small_predictions, small_gold) == (big_predictions, big_gold) == (6, 5)


@pytest.fixture
def mine(project, docs, as_user):
    """An annotator's client and their annotation of the first document (started from 3 predicted spans)."""
    _, client = as_user()
    body = client.post(url(project, f"documents/{docs[0].pk}/annotation/")).json()
    return client, body["id"], body["version"]


def _free(project, annotation_id):
    """Offsets of a word no span of the annotation touches."""
    text = project.documents.get(annotations__pk=annotation_id).text
    start = text.index("families")
    return start, start + len("families")


def test_span_edits_cost_the_same_with_few_or_many_spans(project, docs, mine):
    """Save 9, change 10, delete 8 queries (before: 12, 13, 10): the label is looked up once, the overlap check reads one row, the
    version is not read again; and the count is the same after 40 more spans."""
    client, aid, version = mine
    spans = url(project, f"annotations/{aid}/spans/")
    start, end = _free(project, aid)

    def edit_round(version):
        added, response = queries(lambda: client.post(spans, {"version": version, "start": start, "end": end, "label": "ACTOR"}, format="json"))
        span, version = response.json()["span"]["id"], response.json()["version"]
        body = {"version": version, "label": "LOCATION"}
        changed, response = queries(lambda: client.patch(f"{spans}{span}/", body, format="json"))
        assert response.json()["span"]["label"] == "LOCATION"
        version = response.json()["version"]
        deleted, response = queries(lambda: client.delete(f"{spans}{span}/?version={version}"))
        assert not AnnotationSpan.objects.filter(pk=span).exists()
        return (added, changed, deleted), response.json()["version"]

    small, version = edit_round(version)
    assert small == (9, 10, 8)
    label = Label.objects.get(project=project, name="QUANTITY")
    AnnotationSpan.objects.bulk_create(
        AnnotationSpan(annotation_id=aid, label=label, start=1000 + 2 * i, end=1001 + 2 * i) for i in range(40)
    )
    big, version = edit_round(version)
    assert big == small


def test_a_span_edit_that_overlaps_is_refused_with_the_clashing_span_named(project, docs, mine):
    """The one-row overlap check finds the span in the way (and ignores the span being changed)."""
    client, aid, version = mine
    spans = url(project, f"annotations/{aid}/spans/")
    text = project.documents.get(annotations__pk=aid).text
    mosul = text.index("Mosul")
    response = client.post(spans, {"version": version, "start": mosul, "end": mosul + 5, "label": "ACTOR"}, format="json")
    assert response.status_code == 422 and "LOCATION span “Mosul”" in response.json()["detail"]
    span = AnnotationSpan.objects.get(annotation_id=aid, start=mosul)
    response = client.patch(f"{spans}{span.pk}/", {"version": version, "label": "ACTOR", "end": mosul + 5}, format="json")
    assert response.status_code == 200 and response.json()["span"]["label"] == "ACTOR"


def test_an_annotation_with_its_spans_is_four_queries(project, docs, mine):
    client, aid, _ = mine
    small, response = queries(lambda: client.get(url(project, f"annotations/{aid}/")))
    assert small == 4 and len(response.json()["spans"]) == 3
    label = Label.objects.get(project=project, name="QUANTITY")
    AnnotationSpan.objects.bulk_create(
        AnnotationSpan(annotation_id=aid, label=label, start=1000 + 2 * i, end=1001 + 2 * i) for i in range(40)
    )
    big, response = queries(lambda: client.get(url(project, f"annotations/{aid}/")))
    assert big == small and len(response.json()["spans"]) == 43


def test_pushing_predictions_for_known_documents_does_not_read_a_row_at_a_time(project, boss, fake_extractor):
    more_documents(project, 2, 10)
    few = list(project.documents.order_by("order"))
    body = lambda documents, model: {  # noqa: E731
        "model": model,
        "documents": [{"document": d.pk, "spans": [{"start": 0, "end": 6, "label": "ACTOR"}]} for d in documents],
    }
    small, _ = queries(lambda: boss.post(url(project, "predictions/"), body(few, "ext-a"), format="json"))
    more_documents(project, 10, 20)
    many = list(project.documents.order_by("order"))
    big, response = queries(lambda: boss.post(url(project, "predictions/"), body(many, "ext-b"), format="json"))
    assert response.json()["spans"] == len(many) == 12
    assert big == small


def test_the_document_list_is_counted_without_a_count_of_the_documents(project, docs, boss, as_user):
    """An overseer's list, whole or of one state, takes its count from the documents per state the
    triggers keep; the count equals a recount, and no COUNT(*) of the documents runs. A filter the
    counts do not know (status, q) is counted the plain way."""
    more_documents(project, 60, start=10)  # more than a page of 50: the count is needed
    total = project.documents.count()
    for params, expected in (("", total), ("?state=unassigned", total), ("?state=reviewed", 0)):
        n, response = queries(lambda: boss.get(url(project, f"documents/{params}")))
        assert response.json()["count"] == expected
        with CaptureQueriesContext(connection) as captured:
            boss.get(url(project, f"documents/{params}"))
        assert not any("COUNT(" in q["sql"] and "annotator_document" in q["sql"] and "annotator_statecount" not in q["sql"]
                       for q in captured.captured_queries)
    response = boss.get(url(project, "documents/?q=Mosul"))
    assert response.json()["count"] == total
