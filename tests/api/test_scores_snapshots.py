"""The API's evaluation and agreement GETs read the stored snapshots with their age; a POST computes them again.

A large project (dashboards.INLINE_LIMIT set to 0 here) is never scored in
a GET: before any background run the answer says "none"; after one it is
the snapshot (source, computed_at, age_seconds, stale), and it turns stale
when the gold or the submissions move on. A small project is computed in
the request, as the pages do.
"""

import pytest

from annotator import scoring, services
from annotator.models import EvaluationRun
from annotator.selectors import dashboards

from .conftest import url

MANAGER = "manager"


@pytest.fixture
def submitted(project, docs, make_user):
    """Two annotators submitted the first two documents (k = 1: each submission is the gold)."""
    for name, document in (("ann", docs[0]), ("bob", docs[1])):
        user = make_user(name, project=project)
        annotation = services.start_annotation(document, user)
        services.submit(annotation, user, version=annotation.version)
    return docs


@pytest.fixture
def large(monkeypatch):
    """Every project counts as large: a GET may only read snapshots."""
    monkeypatch.setattr(dashboards, "INLINE_LIMIT", 0)

    def no_scoring(*args, **kwargs):
        raise AssertionError("a GET scored the project")

    return no_scoring


def test_small_project_is_scored_in_the_request(project, submitted, as_user):
    _, client = as_user(MANAGER)
    body = client.get(url(project, "evaluation/")).json()
    assert body["source"] == "live" and body["stale"] is False and body["age_seconds"] == 0
    assert body["schemes"]["strict"]["micro"]["f1"] == 1.0 and body["gold_documents"] == 2


def test_large_project_evaluation_reads_the_snapshot_and_its_age(project, submitted, as_user, large, monkeypatch):
    _, client = as_user(MANAGER)
    real_score = scoring.score
    monkeypatch.setattr(scoring, "score", large)
    body = client.get(url(project, "evaluation/")).json()
    assert (body["source"], body["stale"], body["schemes"], body["computed_at"]) == ("none", True, {}, None)

    monkeypatch.setattr(scoring, "score", real_score)  # the background run scores
    run = client.post(url(project, "evaluation/"), {}, format="json").json()
    assert run["status"] == "done"
    monkeypatch.setattr(scoring, "score", large)
    body = client.get(url(project, "evaluation/")).json()
    assert body["source"] == "snapshot" and body["stale"] is False and body["age_seconds"] >= 0
    assert body["schemes"]["strict"]["micro"]["f1"] == 1.0 and body["gold_documents"] == 2
    assert body["evaluation_run"] == run["result"]["evaluation_run"] and EvaluationRun.objects.filter(pk=body["evaluation_run"]).exists()
    assert "total_documents" not in body["results"] and body["results"]["schemes"] == body["schemes"]

    user = submitted[2].project.memberships.get(user__username="ann").user
    annotation = services.start_annotation(submitted[2], user)
    services.submit(annotation, user, version=annotation.version)  # a third gold document
    body = client.get(url(project, "evaluation/")).json()
    assert body["source"] == "snapshot" and body["stale"] is True and body["gold_documents"] == 2  # the old numbers, marked


def test_large_project_agreement_reads_the_snapshot_and_a_post_refreshes_it(project, docs, as_user, make_user, large, monkeypatch):
    project.annotators_per_document = 2
    project.save()
    users = [make_user(name, project=project) for name in ("ann", "bob")]
    for user in users:
        annotation = services.start_annotation(docs[0], user)
        services.submit(annotation, user, version=annotation.version)
    _, client = as_user(MANAGER)
    monkeypatch.setattr(dashboards, "project_agreement", large)
    body = client.get(url(project, "agreement/")).json()
    assert (body["source"], body["stale"], body["pairs"], body["documents"]) == ("none", True, [], [])
    assert body["overall"]["documents"] == 0 and body["overall"]["f1_strict"] is None

    monkeypatch.undo()
    monkeypatch.setattr(dashboards, "INLINE_LIMIT", 0)
    started = client.post(url(project, "agreement/"))
    assert started.status_code == 202 and started.json()["status"] == "done", started.content
    assert started.json()["result"]["documents_scored"] == 1
    monkeypatch.setattr(dashboards, "project_agreement", large)
    body = client.get(url(project, "agreement/")).json()
    assert body["source"] == "snapshot" and body["stale"] is False
    assert [(p["a"], p["b"], p["documents"], p["f1_strict"]) for p in body["pairs"]] == [("ann", "bob", 1, 1.0)]
    assert body["documents"] == [{"document": docs[0].pk, "id": str(docs[0].pk), "f1_strict": 1.0, "cohen_kappa": body["documents"][0]["cohen_kappa"]}]
    assert body["documents_scored"] == 1

    for user in users:
        annotation = services.start_annotation(docs[1], user)
        services.submit(annotation, user, version=annotation.version)
    body = client.get(url(project, "agreement/")).json()
    assert body["stale"] is True and body["documents_scored"] == 1


def test_only_overseers_start_an_agreement_run(project, docs, as_user):
    _, annotator = as_user()
    assert annotator.post(url(project, "agreement/")).status_code == 403
