"""The training page: who sees it, starting, cancelling, promoting, the comparison and the learning curve."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.evaluation.schemes import evaluate
from annotator.models import (
    ExtractorVersion,
    Membership,
    StoredPipeline,
    TaskRun,
    TrainingRun,
)
from annotator.services import training

from .conftest import add_gold, synthetic_records

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
LABELS = ["WEAPON", "PLACE", "GROUP"]


def scores(pred_share: float) -> dict:
    gold = [(1, label, 10 * i, 10 * i + 5) for i, label in enumerate(LABELS * 4)]
    pred = gold[: round(len(gold) * pred_share)]
    return evaluate(gold, pred, labels=LABELS, documents=[1]).as_dict()


def point(fraction, documents, f1):
    return {"fraction": fraction, "documents": documents, "f1": f1, "precision": f1, "recall": f1, "per_label": {l: f1 for l in LABELS}}


@pytest.fixture
def trained(custom_project):
    add_gold(custom_project, synthetic_records(4))
    version = ExtractorVersion.objects.create(name="trained", version="trained-0123456789ab", base_model="x")
    StoredPipeline.objects.create(extractor=version, data=b"not a real pipeline", size=19, sha256="0" * 64, labels=LABELS, merge="model_only")
    curve = [point(0.25, 10, 0.4), point(0.5, 20, 0.6), point(0.75, 30, 0.7), point(1.0, 40, 0.75)]
    return TrainingRun.objects.create(
        project=custom_project,
        extractor=version,
        labels=LABELS,
        train_documents=40,
        dev_documents=10,
        merge="model_only",
        results={
            "version": version.version,
            "dev": scores(0.75),
            "current": scores(0.25),
            "current_version": "news-extractor-abc",
            "model_only": scores(0.75),
            "better": True,
            "curve": curve,
            "verdict": {"more_gold_helps": True, "last_gain": 0.05, "text": "More gold still helps: the last 10 documents gained 5.0 points of dev F1."},
            "seconds": 12.5,
            "steps": 300,
        },
        log=["40 training documents", "best dev entity F1 75.0"],
    )


def login(client, make_user, project, role):
    user = make_user(f"u-{role}", role=role, project=project)
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "role,status", [(Membership.Role.MANAGER, 200), (Membership.Role.REVIEWER, 200), (Membership.Role.ANNOTATOR, 403)]
)
def test_managers_and_reviewers_see_the_page(client, make_user, trained, role, status):
    login(client, make_user, trained.project, role)
    response = client.get(reverse("training", args=["weapons"]))
    assert response.status_code == status


def test_non_members_get_404(client, make_user, trained):
    client.force_login(make_user("stranger"))
    assert client.get(reverse("training", args=["weapons"])).status_code == 404


def test_the_page_compares_with_the_current_version_and_draws_the_curve(client, make_user, trained):
    login(client, make_user, trained.project, Membership.Role.MANAGER)
    page = client.get(reverse("training", args=["weapons"])).content.decode()
    assert "trained-0123456789ab" in page and "news-extractor-abc" in page
    assert 'data-testid="comparison"' in page and "Strict (label and extent)" in page
    assert page.count("<path ") == 4  # micro F1 and one line per label
    assert "More gold still helps" in page
    assert "Use for suggestions" in page
    assert "0.857" in page and "0.400" in page  # F1 at recall 0.75 and 0.25 with precision 1


def test_reviewers_see_no_buttons(client, make_user, trained):
    login(client, make_user, trained.project, Membership.Role.REVIEWER)
    page = client.get(reverse("training", args=["weapons"])).content.decode()
    assert "Use for suggestions" not in page and "Train a new version" not in page


def test_the_page_costs_the_same_with_more_trainings(client, make_user, trained):
    login(client, make_user, trained.project, Membership.Role.MANAGER)
    url = reverse("training", args=["weapons"])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(5):
        TrainingRun.objects.create(project=trained.project, extractor=trained.extractor, results=trained.results, labels=LABELS)
    with CaptureQueriesContext(connection) as six:
        client.get(url)
    assert len(six) == len(one)


def test_a_manager_starts_and_cancels_a_training(client, make_user, trained, settings):
    settings.TASKS = DUMMY
    login(client, make_user, trained.project, Membership.Role.MANAGER)
    response = client.post(reverse("training_start", args=["weapons"]), {"dev_fraction": "0.25", "seed": "3", "curve": "on"})
    assert response.status_code == 302
    run = TaskRun.objects.get(kind=TaskRun.Kind.TRAIN)
    assert run.params == {"dev_fraction": 0.25, "seed": 3, "curve": True, "promote": None}
    page = client.get(reverse("training", args=["weapons"])).content.decode()
    assert 'data-testid="training-progress"' in page and "Cancel the training" in page
    partial = client.get(reverse("training", args=["weapons"]) + f"?progress={run.pk}", HTTP_HX_REQUEST="true")
    assert b"Waiting for a worker" in partial.content and b"<html" not in partial.content
    client.post(reverse("training_cancel", args=["weapons", run.pk]))
    run.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED and "cancelled by u-manager" in run.errors


def test_a_reviewer_cannot_start_or_promote(client, make_user, trained, settings):
    settings.TASKS = DUMMY
    login(client, make_user, trained.project, Membership.Role.REVIEWER)
    assert client.post(reverse("training_start", args=["weapons"])).status_code == 403
    assert client.post(reverse("training_promote", args=["weapons"]), {"version": trained.extractor.version}).status_code == 403
    assert not TaskRun.objects.exists()


def test_use_for_suggestions_promotes_and_predicts(client, make_user, trained, settings):
    settings.TASKS = DUMMY
    login(client, make_user, trained.project, Membership.Role.MANAGER)
    response = client.post(reverse("training_promote", args=["weapons"]), {"version": trained.extractor.version})
    run = TaskRun.objects.get(kind=TaskRun.Kind.PREDICT)
    assert response.status_code == 302 and response.url.endswith(f"/tasks/{run.pk}/")
    trained.project.refresh_from_db()
    assert trained.project.suggestion_model == trained.extractor
    assert training.suggestion_model(trained.project) == trained.extractor.version
    page = client.get(reverse("training", args=["weapons"])).content.decode()
    assert 'data-testid="suggesting">trained-0123456789ab' in page
    client.post(reverse("training_promote", args=["weapons"]), {"version": ""})
    trained.project.refresh_from_db()
    assert trained.project.suggestion_model is None
    assert client.post(reverse("training_promote", args=["weapons"]), {"version": "trained-unknown"}).status_code == 404


def test_settings_for_retraining(client, make_user, trained):
    login(client, make_user, trained.project, Membership.Role.MANAGER)
    client.post(reverse("training_settings", args=["weapons"]), {"retrain_every": "25", "auto_promote": "on"})
    trained.project.refresh_from_db()
    assert trained.project.retrain_every == 25 and trained.project.auto_promote
    client.post(reverse("training_settings", args=["weapons"]), {"retrain_every": "-1"})
    trained.project.refresh_from_db()
    assert trained.project.retrain_every == 25
