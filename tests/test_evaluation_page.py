"""The evaluation page: who may see it, what it shows, partial gold, htmx fragments, escaping, query count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotator import scoring
from annotator.models import (
    EvaluationRun,
    ExtractorVersion,
    GoldSpan,
    Label,
    Membership,
    PredictedSpan,
    Prediction,
)

from .conftest import make_document

TEXT = "Police officers in New York City seized 3 kilograms of cocaine from the Sinaloa cartel on Monday."
GOLD = [("ACTOR", 0, 15), ("LOCATION", 19, 32), ("QUANTITY", 40, 51), ("ACTOR", 72, 86)]
PRED = [("ACTOR", 0, 15), ("LOCATION", 23, 32), ("ACTOR", 40, 51), ("QUANTITY", 90, 96)]


def add_gold(document, spans):
    labels = {label.name: label for label in Label.objects.filter(project=document.project)}
    GoldSpan.objects.bulk_create(GoldSpan(document=document, label=labels[l], start=s, end=e) for l, s, e in spans)
    document.gold_at = timezone.now()
    document.save(update_fields=["gold_at"])


def add_predictions(document, version, spans):
    extractor, _ = ExtractorVersion.objects.get_or_create(version=version, defaults={"name": version.split("@")[0]})
    labels = {label.name: label for label in Label.objects.filter(project=document.project)}
    prediction = Prediction.objects.create(document=document, extractor=extractor)
    PredictedSpan.objects.bulk_create(
        PredictedSpan(prediction=prediction, label=labels[l], start=s, end=e, score=0.5, source="test") for l, s, e in spans
    )
    return extractor


@pytest.fixture
def scored_project(project):
    """One document with the vector's gold and predictions, one with gold but no predictions, one without gold."""
    vector = make_document(project, text=TEXT, order=1)
    add_gold(vector, GOLD)
    unpredicted = make_document(project, text="Rebels shelled Aleppo on Sunday.", order=2)
    add_gold(unpredicted, [("ACTOR", 0, 6), ("LOCATION", 15, 21)])
    no_gold = make_document(project, text="Troops entered Mosul.", order=3)
    add_predictions(vector, "ext@1", PRED)
    add_predictions(no_gold, "ext@1", [("LOCATION", 15, 20)])
    return project


def url(project, **query):
    base = reverse("evaluation", args=[project.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def reviewer(make_user, project):
    return make_user("rev", role=Membership.Role.REVIEWER, project=project)


@pytest.mark.parametrize(
    "role, status",
    [(Membership.Role.MANAGER, 200), (Membership.Role.REVIEWER, 200), (Membership.Role.ANNOTATOR, 403)],
)
def test_managers_and_reviewers_see_it_annotators_do_not(client, make_user, scored_project, role, status):
    client.force_login(make_user("someone", role=role, project=scored_project))
    assert client.get(url(scored_project)).status_code == status


def test_non_members_get_404_and_anonymous_users_the_login(client, make_user, scored_project):
    assert client.get(url(scored_project)).status_code == 302
    client.force_login(make_user("stranger"))
    assert client.get(url(scored_project)).status_code == 404


def test_the_page_shows_scores_partial_gold_and_errors(client, manager, scored_project):
    client.force_login(manager)
    client.post(url(scored_project))  # keep a run, for the history chart
    response = client.get(url(scored_project))
    html = response.content.decode()
    assert response.status_code == 200
    # Partial gold: 2 of 3 documents have gold; the one without predictions counts as all missed.
    assert re.search(r"<strong>2 of 3</strong> documents have gold", html)
    assert "1 of them have no predictions" in html
    results = response.context["results"]
    assert results["documents"] == 2
    strict = results["schemes"]["strict"]["micro"]
    assert (strict["tp"], strict["fp"], strict["fn"]) == (1, 3, 5)  # the unpredicted document's 2 spans missed
    # Pictures are inline SVG; the error browser marks the vector's errors and links to the annotation page.
    assert html.count("<svg") >= 3
    assert "QUANTITY → ACTOR" in html and "LOCATION: boundary" in html
    assert "missed ACTOR" in html and "spurious QUANTITY" in html
    document = scored_project.documents.get(order=1)
    assert reverse("annotate", args=[scored_project.slug, document.pk]) in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from the internet


def test_a_run_is_stored_once_per_gold_and_numbers(client, manager, scored_project):
    client.force_login(manager)
    client.get(url(scored_project))
    assert EvaluationRun.objects.count() == 0  # a GET stores nothing
    assert client.post(url(scored_project)).status_code == 302
    client.post(url(scored_project))
    assert EvaluationRun.objects.count() == 1
    run = EvaluationRun.objects.get()
    assert run.extractor_version == "ext@1" and run.gold_documents == 2 and len(run.gold_fingerprint) == 64
    assert run.results["schemes"]["partial"]["micro"]["par"] == 1
    # New gold: a new run.
    add_gold(make_document(scored_project, text="A new gold document.", order=4), [])
    client.post(url(scored_project))
    assert EvaluationRun.objects.count() == 2


def test_filters_and_the_htmx_fragment(client, manager, scored_project):
    client.force_login(manager)
    response = client.get(url(scored_project, kind="missed", label="ACTOR"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="errors"')
    assert "<svg" not in html and "<html" not in html
    assert "missed ACTOR" in html and "spurious QUANTITY" not in html and "LOCATION: boundary" not in html
    # Every hx-get has an href too.
    for tag in re.findall(r"<[^>]*hx-get=[^>]*>", html):
        assert "href=" in tag or tag.startswith("<form") and "action=" in tag


def test_two_versions_side_by_side(client, manager, scored_project):
    document = scored_project.documents.get(order=1)
    add_predictions(document, "ext@2", GOLD)
    client.force_login(manager)
    client.post(url(scored_project, model="ext@1"))
    client.post(url(scored_project, model="ext@2"))
    response = client.get(url(scored_project, model="ext@2", compare="ext@1"))
    rows = {row["name"]: row for row in response.context["comparison"]}
    assert rows["ACTOR"]["a"]["f1"] == pytest.approx(0.8)  # ext@2 finds 2 of the 3 gold ACTOR spans, nothing else
    assert rows["micro"]["delta"]["f1"] == pytest.approx(rows["micro"]["b"]["f1"] - rows["micro"]["a"]["f1"])
    assert "Side by side" in response.content.decode()
    assert len(response.context["history"]["runs"]) == 2


def test_user_text_and_labels_are_escaped(client, manager, project):
    label = Label.objects.create(project=project, name="<b>EVIL</b>", color="#123456", order=9)
    text = "<script>alert(1)</script> attacked <img src=x onerror=alert(2)> today."
    document = make_document(project, text=text)
    add_gold(document, [("<b>EVIL</b>", 0, 25)])
    add_predictions(document, "ext@1", [("ACTOR", 35, 62)])
    client.force_login(manager)
    html = client.get(url(project)).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>EVIL</b>" not in html
    assert "&lt;script&gt;alert(1)" in html and "&lt;b&gt;EVIL&lt;/b&gt;" in html
    assert label.name not in html


def test_no_predictions_yet(client, manager, project):
    add_gold(make_document(project), [])
    client.force_login(manager)
    response = client.get(url(project))
    assert response.status_code == 200 and "No extractor predictions" in response.content.decode()


def test_queries_do_not_grow_with_documents_or_spans(client, manager, scored_project):
    client.force_login(manager)
    client.get(url(scored_project, compare="ext@1"))  # warm up: sessions, the first run stored

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(scored_project)).status_code == 200
        return len(queries)

    before = count()
    for i in range(15):
        document = make_document(scored_project, text=f"Document {i}: rebels took Mosul and Raqqa in {2000 + i}.", order=10 + i)
        add_gold(document, [("ACTOR", 14, 20), ("LOCATION", 26, 31), ("QUANTITY", 39, 43)])
        add_predictions(document, "ext@1", [("ACTOR", 14, 20), ("LOCATION", 27, 31), ("LOCATION", 36, 41)])
    count()  # a new gold: one more run stored
    assert count() == before


def test_scoring_runs_a_fixed_number_of_queries(scored_project, django_assert_num_queries):
    extractor = ExtractorVersion.objects.get(version="ext@1")
    with django_assert_num_queries(8):  # gold (3), labels, predictions (2), last run, insert
        scored = scoring.score(scored_project, extractor, keep_outcomes=True)
    assert scored.predicted_documents == 1 and scored.unpredicted_documents == 1
    assert [o.kind for o in scored.evaluation.outcomes[scored.gold.ids[1]]] == ["missed", "missed"]


# ---------------------------------------------------------------- the error browser: excerpts, keyset pages


def test_excerpts_show_context_cut_at_words_not_the_whole_document():
    from annotator.evaluation import display
    from annotator.evaluation.matching import MISSED, SPURIOUS, Outcome

    words = " ".join(f"word{i}" for i in range(400))
    start = words.index("word200")
    near = words.index("word205")
    outcomes = [Outcome(MISSED, ("ACTOR", start, start + 7), None), Outcome(SPURIOUS, None, ("LOCATION", near, near + 7))]
    (excerpt,) = display.excerpts(words, outcomes)  # two errors a few words apart: one excerpt
    shown = "".join(p.text for p in excerpt.pieces)
    assert shown == words[excerpt.start : excerpt.end]
    assert "word200" in shown and "word205" in shown
    assert len(shown) < 200 and excerpt.cut_before and excerpt.cut_after
    assert words[excerpt.start - 1] == " " and words[excerpt.end] == " "  # whole words only
    far = words.index("word390")
    apart = display.excerpts(words, outcomes + [Outcome(MISSED, ("ACTOR", far, far + 7), None)])
    assert len(apart) == 2 and apart[1].start > excerpt.end
    assert [tag for p in excerpt.pieces for _, tag in p.tags] == ["missed ACTOR", "spurious LOCATION"]


def test_excerpts_stay_within_the_paragraph():
    from annotator.evaluation import display
    from annotator.evaluation.matching import MISSED, Outcome

    text = "First paragraph talks of other things.\n\nRebels shelled Aleppo on Sunday.\n\nLast one."
    at = text.index("Aleppo")
    (excerpt,) = display.excerpts(text, [Outcome(MISSED, ("LOCATION", at, at + 6), None)])
    assert text[excerpt.start : excerpt.end] == "Rebels shelled Aleppo on Sunday."


def test_the_error_browser_pages_by_keyset_through_every_document_once(client, manager, project, monkeypatch):
    from annotator.selectors import dashboards

    monkeypatch.setattr(dashboards, "ERROR_PAGE", 3)
    monkeypatch.setattr(dashboards, "ERROR_WINDOW", 4)
    titles = []
    for i in range(11):
        document = make_document(project, text=f"Story {i}: rebels took Mosul and Raqqa.", order=i)
        add_gold(document, [("LOCATION", len(f"Story {i}: rebels took "), len(f"Story {i}: rebels took Mosul"))])
        # Every third document is predicted right (no error), the others miss the span.
        add_predictions(document, "ext@1", list(GOLD[:0]) if i % 3 else [("LOCATION", *document.gold_spans.values_list("start", "end").get())])
        if i % 3:
            titles.append(document.title)
    client.force_login(manager)
    seen, path, pages = [], url(project, kind="missed"), 0
    while path:
        html = client.get(path, headers={"HX-Request": "true"}).content.decode()
        found = re.findall(r"<h3><a [^>]*>([^<]*)</a></h3>", html)
        assert len(found) <= 3
        seen += found
        pages += 1
        following = re.search(r'<a href="([^"]+)"[^>]*rel="next"', html)
        path = url(project) + following.group(1).replace("&amp;", "&") if following else None
    assert seen == titles  # every document with an error once, in work order
    assert pages >= 3
