"""The document list: keyset pages that never repeat or skip, filters, counts, constant queries, roles."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator import listing, services, states
from annotator.models import Annotation, Document, ExtractorVersion, ImportBatch, Prediction
from annotator.selectors import dashboards
from annotator.selectors import documents as doclist
from tests.conftest import make_document

from .conftest import add_documents

MANAGER = "manager"


def walk(project, user, role, params, *, backwards_from_end=False):
    """Every row of the list, page after page through the `next` cursors; with `between(page)` hooks."""
    query = listing.parse(params, states=states.ORDER)
    seen = []
    while query is not None:
        page = doclist.page_of(project, user, role, query)
        seen.extend(row.document.pk for row in page.rows)
        query = page.next
    return seen


def url_of(project, query):
    return reverse("document_list", args=[project.slug]) + query


def links(response):
    html = response.content.decode()
    found = {rel: href.replace("&amp;", "&") for rel, href in re.findall(r'rel="(next|prev)" href="([^"]+)"', html)}
    return found, html


@pytest.mark.parametrize("sort", ["order", "uncertainty", "updated"])
def test_keyset_pages_never_repeat_or_skip_while_documents_are_added(client, manager, project, sort):
    # Ties on every sort key: equal order numbers, equal uncertainties, equal times.
    first = add_documents(project, 23, order=5, uncertainty=0.5) + add_documents(project, 20, start=100, uncertainty=0.25)
    client.force_login(manager)
    url = url_of(project, f"?sort={sort}&size=7")
    seen, added, fetches = [], [], 0
    while url:
        found, html = links(client.get(url))
        seen.extend(int(pk) for pk in re.findall(r'name="doc" value="(\d+)"', html))
        fetches += 1
        # Between page fetches new documents arrive: some sort before the cursor, some after, some tie with it.
        added += add_documents(project, 2, start=1000 + 10 * fetches, order=5 if fetches % 2 else 10_000 + fetches,
                               uncertainty=0.5 if fetches % 2 else 0.0)
        url = found.get("next")
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert {d.pk for d in first} <= set(seen), "a row that was there from the start was skipped"
    assert set(seen) <= {d.pk for d in first + added}
    assert fetches >= 7


def test_previous_pages_give_back_the_same_rows(manager, project):
    add_documents(project, 30, uncertainty=0.5)
    forward, pages = listing.parse({"size": "8", "sort": "uncertainty"}), []
    while forward is not None:
        page = doclist.page_of(project, manager, MANAGER, forward)
        pages.append([r.document.pk for r in page.rows])
        forward = page.next
    back = doclist.page_of(project, manager, MANAGER, listing.parse({"size": "8", "sort": "uncertainty"}))
    query = back.next
    for expected in pages[1:]:
        page = doclist.page_of(project, manager, MANAGER, query)
        assert [r.document.pk for r in page.rows] == expected
        query = page.next
    # …and walking back with `previous` from the last page gives every page again.
    query = listing.parse({"size": "8", "sort": "uncertainty"})
    for _ in pages[1:]:
        query = doclist.page_of(project, manager, MANAGER, query).next
    for expected in reversed(pages[:-1]):
        query = doclist.page_of(project, manager, MANAGER, query).previous
        assert [r.document.pk for r in doclist.page_of(project, manager, MANAGER, query).rows] == expected


def _page_queries(client, project, query):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url_of(project, query))
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", ["", "?q=raqqa", "?state=unassigned&sort=uncertainty", "?gold=no&label=ACTOR&label_in=any&sort=updated",
                                   "?disagreement=1&meta.source=AP&extractor=x"])
def test_queries_per_page_do_not_grow_with_the_documents(manager_client, project, annotator, query):
    add_documents(project, 12)
    small = _page_queries(manager_client, project, query)
    documents = add_documents(project, 150, start=12)
    for document in documents[:40]:
        services.claim_document(document, annotator)  # rows with annotators to show
    assert _page_queries(manager_client, project, query) == small
    # A deep page costs what the first does.
    deep = listing.parse(dict(re.findall(r"(\w[\w.]*)=([^&]*)", query.lstrip("?")))).url(after=(140, documents[-10].pk))
    if "sort" not in query:
        assert _page_queries(manager_client, project, deep) == small


def test_counts_equal_a_recount(manager, project, annotator, monkeypatch):
    documents = add_documents(project, 40)
    for document in documents[:9]:
        services.claim_document(document, annotator)
    for params, expected in (
        ({}, Document.objects.filter(project=project).count()),
        ({"state": states.IN_PROGRESS}, dashboards.state_counts(project)[states.IN_PROGRESS]),
        ({"state": states.UNASSIGNED}, dashboards.state_counts(project)[states.UNASSIGNED]),
        ({"q": "report number 7"}, sum(1 for d in documents if re.search(r"\b7\b", d.text))),
    ):
        query = listing.parse(params, states=states.ORDER)
        total = doclist.count_of(project, manager, MANAGER, query)
        assert total.exact and total.n == expected == len(walk(project, manager, MANAGER, params))
    # Past the exact limit a filtered count says it is not exact (SQLite: "more than"; PostgreSQL: an
    # estimate); a state alone is still exact (the documents per state are kept by triggers).
    monkeypatch.setattr(doclist, "EXACT_COUNT_LIMIT", 10)
    total = doclist.count_of(project, manager, MANAGER, listing.parse({"state": states.UNASSIGNED, "gold": "no"}, states=states.ORDER))
    assert not total.exact and total.n >= 10
    total = doclist.count_of(project, manager, MANAGER, listing.parse({"state": states.UNASSIGNED}, states=states.ORDER))
    assert total.exact and total.n == 31
    unfiltered = doclist.count_of(project, manager, MANAGER, listing.parse({}))
    if connection.vendor == "sqlite":
        assert unfiltered.exact and unfiltered.n == 40


def test_filters(project, manager, annotator, make_user, fake_extractor):
    project.annotators_per_document = 2
    project.save()
    plain, predicted_doc, gold_doc, meta_doc = (
        make_document(project, text=f"Plain text number {i} about Mosul.", order=i) for i in range(4)
    )
    other = make_user("other", project=project)
    services.predict_documents(project)  # every document gets the fake extractor's predictions
    version = ExtractorVersion.objects.get(version=fake_extractor.version)
    Prediction.objects.filter(document=plain).delete()
    Document.objects.filter(pk=predicted_doc.pk).update(uncertainty=0.7)
    services.gold.record_many(project, {gold_doc.pk: [(0, 5, project.labels.get(name="ACTOR").pk)]}, how="import", user=None)
    Document.objects.filter(pk=meta_doc.pk).update(meta={"source": "AP", "n": 5})
    batch = ImportBatch.objects.create(project=project)
    Document.objects.filter(pk=plain.pk).update(batch=batch)
    # Two annotators disagree on meta_doc, agree on plain.
    label = project.labels.get(name="LOCATION")
    for user, spans in ((annotator, [(0, 5)]), (other, [(0, 5), (6, 10)])):
        for document, wanted in ((meta_doc, spans), (plain, [(0, 5)])):
            annotation = services.claim_document(document, user)
            for start, end in wanted:
                services.add_span(annotation, user, start=start, end=end, label_id=label.pk, version=annotation.version)
                annotation.refresh_from_db()
            services.submit(annotation, user, version=annotation.version)

    def ids(**params):
        return set(walk(project, manager, MANAGER, {k: str(v) for k, v in params.items()}))

    assert ids(extractor=version.version) == {predicted_doc.pk, gold_doc.pk, meta_doc.pk}
    assert ids(umin=0.5) == {predicted_doc.pk} and ids(umax=0.5) == {plain.pk, gold_doc.pk, meta_doc.pk}
    assert ids(gold="yes") == {gold_doc.pk} and gold_doc.pk not in ids(gold="no")
    assert ids(label="ACTOR") == {gold_doc.pk}
    assert ids(label="LOCATION") == set() and ids(label="LOCATION", label_in="any") >= {plain.pk, meta_doc.pk}
    assert ids(**{"meta.source": "AP"}) == {meta_doc.pk} and ids(**{"meta.n": "5"}) == {meta_doc.pk}
    assert ids(batch=batch.pk) == {plain.pk}
    assert ids(annotator="other") == {plain.pk, meta_doc.pk}
    assert ids(disagreement=1) == {meta_doc.pk}
    assert ids(state=states.UNASSIGNED) == {predicted_doc.pk}
    assert ids(status="new") == {plain.pk, predicted_doc.pk, gold_doc.pk, meta_doc.pk}
    assert ids(label="ACTOR", umax=0.5, gold="yes") == {gold_doc.pk}


def test_an_annotator_lists_only_their_own_documents_and_no_gold_filters(client, project, annotator, make_user):
    mine, theirs = add_documents(project, 2)
    services.claim_document(mine, annotator)
    services.claim_document(theirs, make_user("other", project=project))
    assert walk(project, annotator, "annotator", {}) == [mine.pk]
    # Filters that would tell about the gold or others' work are not applied for an annotator.
    assert walk(project, annotator, "annotator", {"gold": "yes", "annotator": "other", "state": "waiting"}) == [mine.pk]
    client.force_login(annotator)
    response = client.get(url_of(project, ""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Article 0" in html and "Article 1" not in html and 'name="gold"' not in html and "bulk-form" in html
    assert 'name="doc"' not in html  # no bulk checkboxes
    assert client.post(reverse("document_bulk", args=[project.slug]), {"action": "assign"}).status_code == 403


def test_roles_and_strangers(client, project, reviewer, make_user):
    add_documents(project, 3)
    client.force_login(reviewer)
    html = client.get(url_of(project, "")).content.decode()
    assert html.count('href="/p/news/d/') == 3 and 'name="state"' in html and 'name="doc"' not in html
    assert client.post(reverse("document_bulk", args=[project.slug]), {"action": "assign"}).status_code == 403
    client.force_login(make_user("stranger"))
    assert client.get(url_of(project, "")).status_code == 404


def test_text_from_users_is_escaped(manager_client, project):
    make_document(project, text="<script>alert(1)</script> in Mosul", order=1)
    html = manager_client.get(url_of(project, "?q=mosul")).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    html = manager_client.get(url_of(project, '?q=<b>mosul</b>&meta=k="><i>')).content.decode()
    assert "<b>mosul</b>" not in html and '"><i>' not in html and "&lt;b&gt;mosul" in html


def test_previous_and_next_walk_the_filtered_list(ann_client, client, project, manager, annotator):
    documents = add_documents(project, 9)
    for document in documents:
        services.claim_document(document, annotator)
    Document.objects.filter(pk__in=[documents[2].pk, documents[5].pk, documents[7].pk]).update(uncertainty=0.9)
    client.force_login(manager)
    for user_client in (client, ann_client):
        url = reverse("document_after", args=[project.slug, documents[2].pk]) + "?umin=0.5"
        response = user_client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("annotate", args=[project.slug, documents[5].pk]) + "?umin=0.5"
        # The annotate page carries the filter into its own previous / next links.
        html = user_client.get(response["Location"]).content.decode()
        assert f"/d/{documents[5].pk}/following/?umin=0.5" in html.replace("&amp;", "&")
        response = user_client.get(reverse("document_before", args=[project.slug, documents[5].pk]) + "?umin=0.5")
        assert response["Location"].startswith(reverse("annotate", args=[project.slug, documents[2].pk]))
    # Sorted by uncertainty (descending, then id descending) the neighbours change with the sort.
    response = client.get(reverse("document_after", args=[project.slug, documents[7].pk]) + "?sort=uncertainty")
    assert response["Location"].startswith(reverse("annotate", args=[project.slug, documents[5].pk]))
    # At the end of the list it stays and says so.
    response = client.get(reverse("document_after", args=[project.slug, documents[7].pk]) + "?umin=0.5")
    assert response["Location"].startswith(reverse("annotate", args=[project.slug, documents[7].pk]))


def test_the_project_page_links_to_the_list_and_lists_no_documents(manager_client, project):
    add_documents(project, 5)
    html = manager_client.get(reverse("project_detail", args=[project.slug])).content.decode()
    assert reverse("document_list", args=[project.slug]) in html
    assert "Article 3" not in html
