"""Counts equal a recount after random work; queries do not grow with the project; a GET writes nothing.

The progress, project, agreement and evaluation pages take their numbers from
selectors.dashboards (grouped queries) or from a snapshot services.scores
stored. Each is checked against a plain Python recount of the rows, after a
random mix of edits, submissions, skips and reviews made through the services.
"""

import random
import re
import statistics

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator import scoring, services, states
from annotator.models import Annotation, AnnotationSpan, Document, GoldSpan, Membership, PredictedSpan, ScoreSnapshot
from annotator.selectors import dashboards
from annotator.services import scores

from ..conftest import make_document

WORDS = ["Iraqi", "forces", "entered", "Mosul", "while", "rebels", "fled", "toward", "Raqqa", "today"]


def text_of(i: int) -> str:
    return f"Report {i}: " + " ".join(WORDS[(i + j) % len(WORDS)] for j in range(24)) + "."


def recount_states(project) -> dict[str, int]:
    needed = states.needed_for_review(project.annotators_per_document, project.needs_review)
    counts = dict.fromkeys(states.ORDER, 0)
    for document in Document.objects.filter(project=project):
        annotations = list(document.annotations.filter(kind=Annotation.Kind.ANNOTATION))
        submitted = [a for a in annotations if a.status == Annotation.Status.SUBMITTED]
        last = max((a.submitted_at for a in submitted), default=None)
        counts[
            states.document_state(
                has_gold=document.gold_at is not None,
                submitted=len(submitted),
                drafts=sum(a.status == Annotation.Status.DRAFT for a in annotations),
                needed=needed,
                submitted_after_review=last is not None and (document.reviewed_at is None or last > document.reviewed_at),
            )
        ] += 1
    return counts


def recount_work(project) -> list[dict]:
    work = {}
    for a in Annotation.objects.filter(document__project=project, kind=Annotation.Kind.ANNOTATION).select_related("annotator"):
        entry = work.setdefault(a.annotator.username, {"name": a.annotator.username, "submitted": 0, "draft": 0, "skipped": 0, "times": []})
        entry[a.status] += 1
        if a.status == Annotation.Status.SUBMITTED:
            entry["times"].append(a.time_spent)
    for entry in work.values():
        times = entry.pop("times")
        entry["median_seconds"] = round(statistics.median(times)) if times else None
    return sorted(work.values(), key=lambda e: e["name"])


def recount_labels(project) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for span in GoldSpan.objects.filter(document__project=project).select_related("label"):
        counts.setdefault(span.label.name, {"gold": 0, "annotations": 0, "model": 0})["gold"] += 1
    for span in AnnotationSpan.objects.filter(
        annotation__document__project=project, annotation__kind="annotation", annotation__status="submitted"
    ).select_related("label"):
        counts.setdefault(span.label.name, {"gold": 0, "annotations": 0, "model": 0})["annotations"] += 1
    for span in PredictedSpan.objects.filter(prediction__document__project=project).select_related("label"):
        counts.setdefault(span.label.name, {"gold": 0, "annotations": 0, "model": 0})["model"] += 1
    return counts


def random_work(project, users, reviewer, seed: int, documents: int = 12) -> None:
    """Documents with predictions, then random starts, edits, submissions, skips, reopens and reviews."""
    rng = random.Random(seed)
    docs = [make_document(project, text=text_of(seed * 100 + i), order=i) for i in range(documents)]
    services.predict_documents(project)
    labels = list(project.labels.values_list("pk", flat=True))
    for _ in range(60):
        document, user = rng.choice(docs), rng.choice(users)
        annotation = services.start_annotation(document, user)
        annotation.refresh_from_db()
        if annotation.status == Annotation.Status.SUBMITTED:
            if rng.random() < 0.2:
                services.reopen(annotation, user, version=annotation.version)
            continue
        if annotation.status == Annotation.Status.SKIPPED:
            continue
        move = rng.random()
        try:
            if move < 0.35:
                start = rng.randrange(0, 40)
                services.add_span(annotation, user, version=annotation.version, start=start, end=start + 5, label_id=rng.choice(labels))
            elif move < 0.8:
                services.submit(annotation, user, version=annotation.version, elapsed=rng.randrange(1, 300))
            else:
                services.skip(annotation, user, version=annotation.version)
        except services.EditRefused:
            pass
    for document in docs:
        if rng.random() < 0.5:
            continue
        try:
            review = services.start_review(document, reviewer)
            review.refresh_from_db()
            services.accept(review, reviewer, version=review.version, confirm=True)
        except services.EditRefused:
            pass


@pytest.fixture
def team(project, make_user, fake_extractor):
    project.annotators_per_document = 2
    project.save()
    users = [make_user(f"ann{i}", project=project) for i in range(3)]
    reviewer = make_user("rev", role=Membership.Role.REVIEWER, project=project)
    return users, reviewer


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_a_recount_after_random_work(project, team, seed):
    users, reviewer = team
    random_work(project, users, reviewer, seed)
    counts = dashboards.state_counts(project)
    assert counts == recount_states(project)
    assert sum(counts.values()) == Document.objects.filter(project=project).count()
    board = dashboards.dashboard(project)
    assert board.states == {states.LABELS[k]: n for k, n in recount_states(project).items()}
    assert board.annotators == recount_work(project)
    expected = recount_labels(project)
    assert {row["label"].name: {k: row[k] for k in ("gold", "annotations", "model")} for row in board.labels} == {
        label.name: expected.get(label.name, {"gold": 0, "annotations": 0, "model": 0}) for label in project.labels.all()
    }
    # The snapshot a background run stores holds the same numbers.
    scores.refresh_labels(project)
    assert dashboards.snapshot(project, ScoreSnapshot.Kind.LABELS).results["labels"] == expected


def test_submitted_n_of_k_is_counted(project, team):
    users, _ = team
    project.annotators_per_document = 3
    project.save()
    document = make_document(project, text=text_of(1))
    for user in users[:2]:
        annotation = services.start_annotation(document, user)
        services.submit(annotation, user, version=annotation.version)
    board = dashboards.dashboard(project)
    assert board.submitted_of_k == [(2, 1)] and board.states[states.LABELS[states.SUBMITTED]] == 1


def test_progress_of_a_user(project, team):
    users, _ = team
    documents = [make_document(project, text=text_of(i), order=i) for i in range(4)]
    for document in documents[:2]:
        annotation = services.start_annotation(document, users[0])
        services.submit(annotation, users[0], version=annotation.version)
    progress = dashboards.progress_of(project, users[0])
    assert (progress.total, progress.done, progress.percent) == (4, 2, 50)


# ---------------------------------------------------------------- queries and writes


def build(project, start: int, n: int, users, extractor_docs=True):
    """n more documents with gold, predictions and two submitted annotations each."""
    labels = {label.name: label for label in project.labels.all()}
    from annotator.formats import Record, Span

    records = [Record(id=f"d{i}", text=text_of(i), spans=[Span(0, 6, "ACTOR"), Span(10, 15, "LOCATION")]) for i in range(start, start + n)]
    services.import_records(project, records, layer="gold")
    pred = [Record(id=f"d{i}", text=text_of(i), spans=[Span(0, 6, "ACTOR"), Span(10, 14, "LOCATION"), Span(20, 25, "QUANTITY")]) for i in range(start, start + n)]
    services.import_records(project, pred, layer="model", model="ext@1")
    for user, spans in zip(users, ([Span(0, 6, "ACTOR")], [Span(0, 6, "LOCATION")])):
        services.import_records(project, [Record(id=r.id, text=r.text, spans=spans) for r in records], layer="annotations", annotator=user)
    assert labels


def page_queries(client, path) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured), [q["sql"] for q in captured]


PAGES = ["project_detail", "dashboard", "agreement", "evaluation"]


@pytest.mark.parametrize("stored", [False, True], ids=["live", "snapshot"])
def test_queries_do_not_grow_and_a_get_writes_nothing(client, project, make_user, stored):
    manager = make_user("boss", role=Membership.Role.MANAGER, project=project)
    users = [make_user("a1", project=project), make_user("a2", project=project)]
    project.annotators_per_document = 2
    project.save()
    client.force_login(manager)
    build(project, 0, 3, users)
    extractor = scoring.version_named("ext@1", project)

    def measure():
        if stored:
            scores.refresh(project, extractor)
        counts = {}
        for name in PAGES:
            path = reverse(name, args=[project.slug])
            client.get(path)  # the session, caches
            counts[name], sql = page_queries(client, path)
            writes = [q for q in sql if re.match(r"\s*(INSERT|UPDATE|DELETE)", q, re.I) and "django_session" not in q]
            assert writes == [], (name, writes)
        counts["errors"], _ = page_queries(client, reverse("evaluation", args=[project.slug]) + "?kind=all")
        return counts

    small = measure()
    build(project, 3, 40, users)
    large = measure()
    assert large == small
    if stored:
        assert ScoreSnapshot.objects.filter(project=project).count() == 3


def test_the_snapshot_numbers_equal_the_pure_scoring(project, make_user):
    users = [make_user("a1", project=project), make_user("a2", project=project)]
    build(project, 0, 5, users)
    extractor = scoring.version_named("ext@1", project)
    scores.refresh(project, extractor)
    evaluation = dashboards.snapshot(project, ScoreSnapshot.Kind.EVALUATION, "ext@1")
    assert evaluation.results["schemes"] == scoring.score(project, extractor, store=False).results["schemes"]
    assert evaluation.documents == 5
    agreement = dashboards.snapshot(project, ScoreSnapshot.Kind.AGREEMENT)
    live = dashboards.project_agreement(project)
    assert agreement.results["pairs"] == live["pairs"] and agreement.results["overall"] == live["overall"]
    assert agreement.results["documents_scored"] == 5


# ---------------------------------------------------------------- age, staleness, recomputation


@pytest.fixture
def large(monkeypatch):
    """Pretend every project is large: pages read snapshots instead of computing."""
    monkeypatch.setattr(dashboards, "INLINE_LIMIT", 0)


def test_a_large_project_shows_the_snapshot_with_its_age_and_offers_a_recompute(client, project, make_user, large):
    manager = make_user("boss", role=Membership.Role.MANAGER, project=project)
    users = [make_user("a1", project=project), make_user("a2", project=project)]
    build(project, 0, 4, users)
    client.force_login(manager)
    recompute = reverse("task_evaluate", args=[project.slug])
    for name in ("agreement", "evaluation", "dashboard"):
        html = client.get(reverse(name, args=[project.slug])).content.decode()
        assert "not computed yet" in html and recompute in html, name
    scores.refresh(project, scoring.version_named("ext@1", project))
    for name in ("agreement", "evaluation", "dashboard"):
        html = client.get(reverse(name, args=[project.slug])).content.decode()
        assert re.search(r"computed (0|[0-9]+).{0,20} ago from 4 documents", html), name
        assert "changed since" not in html and recompute not in html, name
    # New work: the numbers are shown, marked out of date, with the button.
    annotation = Annotation.objects.filter(annotator=users[0]).first()
    services.reopen(annotation, users[0], version=annotation.version)
    html = client.get(reverse("agreement", args=[project.slug])).content.decode()
    assert "changed since" in html and recompute in html and "gold-a" not in html
    assert "a1" in html  # the stored pairs are still shown


def test_a_small_project_is_computed_live_and_stores_nothing(client, project, make_user):
    manager = make_user("boss", role=Membership.Role.MANAGER, project=project)
    users = [make_user("a1", project=project), make_user("a2", project=project)]
    build(project, 0, 2, users)
    client.force_login(manager)
    html = client.get(reverse("agreement", args=[project.slug])).content.decode()
    assert "snapshot-note" not in html and "a1" in html
    assert ScoreSnapshot.objects.count() == 0
