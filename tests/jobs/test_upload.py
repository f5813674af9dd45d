"""An upload on the Import page is stored and imported by a task worker; its run's page shows the report."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from annotator.models import Document, GoldSpan, Membership, TaskRun

from ..formats.test_consumers import DOCCANO

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client, make_user, project, settings, tmp_path):
    settings.TASKS = DB_BACKEND
    settings.UPLOAD_DIR = tmp_path / "uploads"
    client.force_login(make_user("boss", role=Membership.Role.MANAGER, project=project))
    return client


def work() -> None:
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("task_worker", batch=True, preload=False, recover_every=0, verbosity=0)


def upload(client, project, name: str, content: str, **form):
    data = {"file": SimpleUploadedFile(name, content.encode()), "format": "auto", "layer": "gold", **form}
    return client.post(reverse("import_upload", args=[project.slug]), data)


def test_an_upload_runs_as_a_task_and_its_page_shows_the_report(boss, project, settings):
    response = upload(boss, project, "doccano.jsonl", "\n".join(DOCCANO), overlaps="keep-longest", offsets="utf16")
    run = TaskRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("task_detail", args=[project.slug, run.pk])
    assert (run.kind, run.status, run.params["file"], run.params["overlaps"], run.params["offsets"]) == (
        "import", "queued", "doccano.jsonl", "keep-longest", "utf16"
    )
    assert Document.objects.count() == 0  # nothing is read in the request
    page = boss.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in page and 'hx-trigger="load delay:1s"' in page
    work()
    run.refresh_from_db()
    assert run.status == "done" and run.percent == 100 and run.result["documents_created"] == 3
    assert GoldSpan.objects.count() == 6
    page = boss.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "doccano.jsonl: 3 new documents" in page and "hx-get" not in page
    assert not any(settings.UPLOAD_DIR.rglob("*.jsonl"))  # the stored upload is gone once read


def test_a_bad_file_fails_its_run_with_file_line_field_and_stores_nothing(boss, project, settings):
    good_then_bad = "\n".join([DOCCANO[0], '{"text": "x", "label": [[0, 1, "WEAPON"]]}'])
    response = upload(boss, project, "bad.jsonl", good_then_bad, format="doccano")
    work()
    run = TaskRun.objects.get()
    assert run.status == "failed" and Document.objects.count() == 0 and GoldSpan.objects.count() == 0
    assert run.errors == [run.errors[0]] and run.errors[0].startswith("bad.jsonl:2: field 'label[0]': ")
    assert run.errors[0].endswith("Nothing from bad.jsonl was stored.")
    page = boss.get(response["Location"]).content.decode()
    assert "bad.jsonl:2: field &#x27;label[0]&#x27;" in page  # escaped, as everything a file says


def test_skipped_records_are_listed_on_the_page(boss, project):
    good_then_bad = "\n".join([DOCCANO[0], '{"text": "x", "label": [[0, 1, "WEAPON"]]}'])
    response = upload(boss, project, "mixed.jsonl", good_then_bad, format="doccano", skip_invalid="1")
    work()
    run = TaskRun.objects.get()
    assert run.status == "done" and Document.objects.count() == 1
    assert run.result["invalid"] == 1 and run.result["problems"][0].startswith("mixed.jsonl:2: ")
    assert "mixed.jsonl:2: " in boss.get(response["Location"]).content.decode()


def test_bad_options_are_refused_before_anything_is_stored(boss, project, settings):
    response = upload(boss, project, "doccano.jsonl", "\n".join(DOCCANO), overlaps="whatever")
    assert response.status_code == 302 and response["Location"] == reverse("export", args=[project.slug])
    assert not TaskRun.objects.exists() and not settings.UPLOAD_DIR.exists()
    settings.IMPORT_MAX_BYTES = 10
    upload(boss, project, "doccano.jsonl", "\n".join(DOCCANO))
    assert not TaskRun.objects.exists() and not settings.UPLOAD_DIR.exists()


def test_only_managers_upload(client, make_user, project, settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path
    client.force_login(make_user("ann", project=project))
    assert upload(client, project, "doccano.jsonl", "\n".join(DOCCANO)).status_code == 403
    assert not TaskRun.objects.exists()
