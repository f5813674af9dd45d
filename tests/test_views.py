"""Pages and htmx fragments: login, permissions, edits over HTTP, stale edits, export, query counts."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator import services
from annotator.models import Annotation, GoldSpan

from .conftest import ARTICLE, make_document

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, document, *args):
    return reverse(name, args=[document.project.slug, document.pk, *args])


def edit_url(name, annotation, *args):
    """Edits name the annotation they change."""
    return reverse(name, args=[annotation.document.project.slug, annotation.pk, *args])


def opened(client, document, user):
    """Open a document, start annotating it (the Start button) and return the user's annotation."""
    assert client.get(url("annotate", document)).status_code == 200
    assert not Annotation.objects.filter(document=document, annotator=user).exists()  # viewing is not claiming
    assert client.post(url("claim", document)).status_code == 302
    assert client.get(url("annotate", document)).status_code == 200
    return Annotation.objects.get(document=document, annotator=user, kind="annotation")


@pytest.mark.parametrize("name", ["project_list", "project_detail", "annotate", "export", "span_add", "review_queue"])
def test_every_page_needs_login(client, predicted, name):
    args = {"project_list": [], "project_detail": ["news"], "export": ["news"], "review_queue": ["news"]}.get(
        name, ["news", predicted.pk]
    )
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_non_member_gets_404(client, predicted, make_user):
    client.force_login(make_user("stranger"))
    assert client.get(reverse("project_detail", args=["news"])).status_code == 404
    assert client.get(url("annotate", predicted)).status_code == 404
    assert b"news" not in client.get(reverse("project_list")).content.lower().split(b"<main>")[1]


def test_project_page_lists_documents_and_progress(ann_client, predicted):
    response = ann_client.get(reverse("project_detail", args=["news"]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "0 of 1" in content and "fake-extractor-1" in content
    assert "Download gold" not in content  # annotators do not export


def test_annotation_page_shows_suggestions_escaped(ann_client, project, fake_extractor):
    document = make_document(project, text="<script>alert(1)</script> Iraqi forces entered Mosul.")
    services.predict_documents(project)
    viewed = ann_client.get(url("annotate", document)).content.decode()
    assert "<script>alert(1)" not in viewed and "&lt;script&gt;alert(1)" in viewed and "Start annotating" in viewed
    ann_client.post(url("claim", document))
    response = ann_client.get(url("annotate", document))
    content = response.content.decode()
    assert "<script>alert(1)" not in content and "&lt;script&gt;alert(1)" in content
    assert content.count('<mark class="span') == 2 and 'data-label=' in content
    assert "Guidelines" in content and "ACTOR" in content


def test_htmx_request_gets_the_fragment_only(ann_client, predicted, annotator):
    opened(ann_client, predicted, annotator)
    response = ann_client.get(url("annotate", predicted), **HTMX)
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="annotation"') and "<html" not in content


def test_add_span_over_http_and_stale_edit_gets_409(ann_client, predicted, project, annotator):
    annotation = opened(ann_client, predicted, annotator)
    label = project.labels.get(name="ACTOR").pk
    start = ARTICLE.index("Islamic State")
    response = ann_client.post(
        edit_url("span_add", annotation),
        {"start": start, "end": start + 13, "label": label, "version": 1, "elapsed": "3"},
        **HTMX,
    )
    assert response.status_code == 200 and 'data-version="2"' in response.content.decode()
    stale = ann_client.post(edit_url("span_add", annotation), {"start": 0, "end": 4, "label": label, "version": 1}, **HTMX)
    assert stale.status_code == 409 and stale["HX-Retarget"] == "#flash"
    assert "changed elsewhere" in stale.content.decode() and stale["X-Annotation-Version"] == "2"
    annotation = Annotation.objects.get(annotator=annotator)
    assert annotation.version == 2 and annotation.spans.count() == 5 and annotation.time_spent == 3


def test_refused_edit_gets_422_with_reason(ann_client, predicted, project, annotator):
    annotation = opened(ann_client, predicted, annotator)
    start = ARTICLE.index("Mosul")
    response = ann_client.post(
        edit_url("span_add", annotation),
        {"start": start, "end": start + 2, "label": project.labels.first().pk, "version": 1},
        **HTMX,
    )
    assert response.status_code == 422 and "overlaps" in response.content.decode()


def test_malformed_edits_get_400_and_422_in_the_flash(ann_client, predicted, project, annotator):
    """Each app error an edit raises reaches the page through the one handler: the flash, its status, nothing written."""
    annotation = opened(ann_client, predicted, annotator)
    label = project.labels.first().pk
    no_version = ann_client.post(edit_url("span_add", annotation), {"start": 0, "end": 4, "label": label}, **HTMX)
    assert no_version.status_code == 400 and no_version["HX-Retarget"] == "#flash"
    assert "no annotation version" in no_version.content.decode()
    not_a_number = ann_client.post(edit_url("span_add", annotation), {"start": "x", "end": 4, "label": label, "version": 1}, **HTMX)
    assert not_a_number.status_code == 422 and "Not a whole number" in not_a_number.content.decode()
    draft = ann_client.post(edit_url("reopen", annotation), {"version": 1}, **HTMX)
    assert draft.status_code == 422 and "Only a submitted annotation" in draft.content.decode()
    assert Annotation.objects.get(pk=annotation.pk).version == 1


def test_cannot_touch_another_users_span(client, predicted, make_user, project, annotator):
    other = services.start_annotation(predicted, annotator)
    span_id = other.spans.first().pk
    intruder = make_user("eve", project=project)
    client.force_login(intruder)
    # The document has its one annotator already: another annotator may read it, not start it ...
    viewed = client.get(url("annotate", predicted))
    assert viewed.status_code == 200 and "already has its 1 annotator" in viewed.content.decode()
    client.post(url("claim", predicted))
    assert not Annotation.objects.filter(annotator=intruder).exists()
    # ... and asking for the other's annotation by id finds nothing.
    response = client.post(edit_url("span_delete", other, span_id), {"version": 1}, **HTMX)
    assert response.status_code == 404
    assert other.spans.filter(pk=span_id).exists()


def test_submit_redirects_to_next_and_makes_gold(ann_client, predicted, project, annotator):
    second = make_document(project, text="Second article about Raqqa.", order=2)
    annotation = opened(ann_client, predicted, annotator)
    response = ann_client.post(edit_url("submit", annotation), {"version": 1}, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == url("annotate", second)
    assert GoldSpan.objects.filter(document=predicted).count() == 4
    # "Submit & next" claimed the next document. Without htmx (no script) the same form works with a plain redirect.
    annotation = Annotation.objects.get(document=second, annotator=annotator)
    response = ann_client.post(edit_url("submit", annotation), {"version": 1})
    assert response.status_code == 302 and response.url == reverse("project_detail", args=["news"])


def test_export_gold_download_for_manager_only(client, ann_client, predicted, manager, annotator):
    services.submit(services.start_annotation(predicted, annotator), annotator, version=1)
    assert ann_client.get(reverse("export", args=["news"]) + "?layer=gold").status_code == 403
    client.force_login(manager)
    response = client.get(reverse("export", args=["news"]) + "?layer=gold&format=jsonl")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()
    record = json.loads(lines[0])
    assert record["text"] == ARTICLE and len(record["spans"]) == 4
    assert all(ARTICLE[s["start"] : s["end"]] == s["text"] for s in record["spans"])


def _queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_annotation_page_query_count_does_not_grow(ann_client, project, fake_extractor):
    small = make_document(project, text="Iraqi forces entered Mosul.", order=1)
    words = " ".join(f"Iraqi forces met Mosul fighters near Raqqa {i}." for i in range(60))
    big = make_document(project, text=words, order=2)
    for i in range(30):
        make_document(project, text=f"Filler document {i}.", order=3 + i)
    services.predict_documents(project)
    for document in (small, big):  # the Start button creates the annotation
        ann_client.post(url("claim", document))
    assert Annotation.objects.get(document=big).spans.count() >= 100
    assert _queries(ann_client, url("annotate", small)) == _queries(ann_client, url("annotate", big))
    assert _queries(ann_client, reverse("project_detail", args=["news"])) <= 12
