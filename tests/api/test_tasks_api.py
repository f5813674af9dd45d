"""Background runs through the API: start, poll, download; prediction, export, evaluation, agreement."""

import json

import pytest

from annotator import services
from annotator.models import EvaluationRun, Membership, Prediction, TaskRun

from .conftest import url

pytestmark = pytest.mark.django_db

MANAGER, REVIEWER, ANNOTATOR = Membership.Role.MANAGER, Membership.Role.REVIEWER, Membership.Role.ANNOTATOR


@pytest.fixture
def with_gold(project, docs, make_user):
    ann = make_user("ann", project=project)
    for document in docs[:2]:
        annotation = services.start_annotation(document, ann)
        services.submit(annotation, ann, version=annotation.version)
    return docs


def test_export_start_poll_download(project, with_gold, as_user):
    _, client = as_user(MANAGER)
    started = client.post(url(project, "exports/"), {"format": "jsonl", "layer": "gold"}, format="json")
    assert started.status_code == 202, started.content
    run = started.json()
    assert started["Location"].endswith(f"/tasks/{run['id']}/")
    polled = client.get(url(project, f"tasks/{run['id']}/")).json()
    assert polled["status"] == "done" and polled["done"] == polled["total"] == 2 and polled["percent"] == 100
    assert polled["result"]["documents"] == 2 and polled["download"].endswith("/download/")
    download = client.get(polled["download"])
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(d.pk) for d in with_gold[:2]]


def test_export_of_a_many_file_format_is_a_zip(project, with_gold, as_user):
    _, client = as_user(MANAGER)
    run = client.post(url(project, "exports/"), {"format": "brat", "layer": "gold"}, format="json").json()
    download = client.get(url(project, f"tasks/{run['id']}/download/"))
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"


@pytest.mark.parametrize("body", [{"format": "docx"}, {"format": "jsonl", "layer": "drafts"}])
def test_export_refuses_unknown_things(project, with_gold, as_user, body):
    _, client = as_user(MANAGER)
    assert client.post(url(project, "exports/"), body, format="json").status_code == 400


def test_export_of_an_unknown_annotator_is_404(project, with_gold, as_user):
    _, client = as_user(MANAGER)
    body = {"format": "jsonl", "layer": "annotations", "annotator": "ghost"}
    assert client.post(url(project, "exports/"), body, format="json").status_code == 404


@pytest.mark.parametrize("role", [REVIEWER, ANNOTATOR])
def test_only_managers_export_and_predict(project, docs, as_user, role):
    _, client = as_user(role)
    assert client.post(url(project, "exports/"), {"format": "jsonl"}, format="json").status_code == 403
    assert client.post(url(project, "predict/")).status_code == 403


def test_failed_export_says_why(project, docs, as_user):
    _, client = as_user(MANAGER)
    run = client.post(url(project, "exports/"), {"format": "jsonl", "layer": "model", "model": "fake-extractor-1"}, format="json").json()
    assert run["status"] == "done"
    Prediction.objects.all().delete()
    failed = client.post(url(project, "exports/"), {"format": "jsonl", "layer": "model"}, format="json").json()
    assert failed["status"] == "failed" and "no predictions" in failed["errors"][0]
    assert failed["download"] is None
    assert client.get(url(project, f"tasks/{failed['id']}/download/")).status_code == 404


def test_predict_with_a_new_extractor_version_predicts_everything_again(project, docs, as_user, fake_extractor):
    _, client = as_user(MANAGER)
    nothing = client.post(url(project, "predict/")).json()
    assert nothing["status"] == "done" and nothing["total"] == 0  # every document has this version's predictions
    fake_extractor.version = "fake-extractor-2"
    run = client.post(url(project, "predict/")).json()
    assert run["status"] == "done" and run["done"] == run["total"] == 3
    assert run["result"] == {"extractor": "fake-extractor-2", "predicted": 3}
    assert Prediction.objects.filter(extractor__version="fake-extractor-2").count() == 3
    assert Prediction.objects.count() == 6


def test_runs_are_seen_by_managers_and_their_starter_only(project, with_gold, as_user):
    reviewer, reviewer_client = as_user(REVIEWER)
    own = reviewer_client.post(url(project, "evaluation/"), {}, format="json")
    assert own.status_code == 202
    _, boss = as_user(MANAGER)
    export = boss.post(url(project, "exports/"), {"format": "jsonl"}, format="json").json()
    assert {r["id"] for r in boss.get(url(project, "tasks/")).json()["results"]} == {own.json()["id"], export["id"]}
    assert [r["id"] for r in reviewer_client.get(url(project, "tasks/")).json()["results"]] == [own.json()["id"]]
    assert reviewer_client.get(url(project, f"tasks/{export['id']}/")).status_code == 404
    assert reviewer_client.get(url(project, f"tasks/{export['id']}/download/")).status_code == 404
    assert boss.get(url(project, "tasks/?kind=export")).json()["count"] == 1
    assert boss.get(url(project, "tasks/?kind=nap")).status_code == 400
    _, annotator = as_user(ANNOTATOR)
    assert annotator.get(url(project, "tasks/")).json()["count"] == 0


@pytest.mark.parametrize("role", [MANAGER, REVIEWER])
def test_evaluation_read_and_as_a_task(project, with_gold, as_user, role):
    _, client = as_user(role)
    scores = client.get(url(project, "evaluation/")).json()
    assert scores["extractor"] == "fake-extractor-1" and scores["gold_documents"] == 2
    strict = scores["schemes"]["strict"]["micro"]
    assert strict["f1"] == 1.0 and strict["tp"] == 6  # the gold came from the same predictions
    assert client.get(url(project, "evaluation/?model=nope")).status_code == 404
    run = client.post(url(project, "evaluation/"), {"model": "fake-extractor-1"}, format="json").json()
    assert run["status"] == "done" and run["result"]["schemes"]["strict"]["micro"]["f1"] == 1.0
    assert EvaluationRun.objects.filter(pk=run["result"]["evaluation_run"]).exists()


def test_evaluation_without_predictions(project, as_user):
    _, client = as_user(MANAGER)
    assert client.get(url(project, "evaluation/")).status_code == 404
    run = client.post(url(project, "evaluation/"), {}, format="json").json()
    assert run["status"] == "failed" and "no predictions" in run["errors"][0]


def test_agreement(project, docs, as_user, make_user):
    project.annotators_per_document = 2
    project.save()
    for name in ("ann", "bob"):
        user = make_user(name, project=project)
        annotation = services.start_annotation(docs[0], user)
        services.submit(annotation, user, version=annotation.version)
    _, client = as_user(REVIEWER)
    body = client.get(url(project, "agreement/")).json()
    assert [(p["a"], p["b"], p["documents"], p["f1_strict"]) for p in body["pairs"]] == [("ann", "bob", 1, 1.0)]
    assert body["overall"]["f1_strict"] == 1.0 and body["documents"][0]["document"] == docs[0].pk


def test_task_run_rows_record_who_and_what(project, docs, as_user):
    boss, client = as_user(MANAGER)
    client.post(url(project, "exports/"), {"format": "conll", "layer": "model"}, format="json")
    run = TaskRun.objects.get()
    assert (run.user, run.kind, run.params["format"], run.project) == (boss, "export", "conll", project)
