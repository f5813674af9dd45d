"""Managers hand documents to named annotators (served first by Start annotating, k and gold rules kept) and
export a selection of the list."""

import json

from django.urls import reverse

from annotator import listing, services
from annotator.models import Annotation, Assignment, Prediction, TaskRun
from annotator.selectors import documents as doclist
from annotator.services import assignment

from .conftest import add_documents


def everything(project, manager, **params):
    return doclist.selected_ids(project, manager, "manager", listing.parse(params))


def test_assigned_documents_are_served_first(project, manager, annotator):
    documents = add_documents(project, 10)
    assignment.assign(everything(project, manager, ids=f"{documents[7].pk},{documents[4].pk}"), [annotator], by=manager)
    first = services.claim_next(project, annotator)
    assert first.pk == documents[4].pk  # the assigned ones, in the work order
    services.submit(Annotation.objects.get(document=first, annotator=annotator), annotator, version=1)
    assert services.claim_next(project, annotator).pk == documents[7].pk


def test_k_and_gold_still_hold_for_assigned_documents(project, manager, annotator, make_user):
    taken, with_gold, free = add_documents(project, 3)
    other = make_user("other", project=project)
    services.claim_document(taken, other)  # k = 1: its one slot is held
    services.gold.record_many(project, {with_gold.pk: []}, how="import")
    assignment.assign(everything(project, manager, ids=f"{taken.pk},{with_gold.pk}"), [annotator], by=manager)
    assert services.claim_next(project, annotator).pk == free.pk
    assert Annotation.objects.filter(document=taken).count() == 1


def test_assigning_never_removes_work(project, manager, annotator, make_user):
    documents = add_documents(project, 4)
    other = make_user("other", project=project)
    started = services.claim_document(documents[0], other)
    assignment.assign(everything(project, manager), [annotator], by=manager)
    assignment.unassign(everything(project, manager), [annotator, other])
    assert Annotation.objects.filter(pk=started.pk).exists() and not Assignment.objects.exists()


def test_assign_each_split_and_sample_are_set_based(project, manager, annotator, make_user, django_assert_num_queries):
    add_documents(project, 9)
    other = make_user("other", project=project)
    with django_assert_num_queries(3):  # savepoint, INSERT … SELECT, release
        added = assignment.assign(everything(project, manager), [annotator, other], by=manager)
    assert added == 18
    assert assignment.assign(everything(project, manager), [annotator, other], by=manager) == 0  # already there
    Assignment.objects.all().delete()
    assert assignment.assign(everything(project, manager), [annotator, other], by=manager, split=True) == 9
    counts = sorted(Assignment.objects.filter(user=u).count() for u in (annotator, other))
    assert counts == [4, 5]
    Assignment.objects.all().delete()
    sample = doclist.sample(everything(project, manager), 4, seed=7)
    assert assignment.assign(sample, [annotator], by=manager) == 4
    again = set(doclist.sample(everything(project, manager), 4, seed=7).values_list("id", flat=True))
    assert again == set(Assignment.objects.values_list("document_id", flat=True))
    assert again != set(doclist.sample(everything(project, manager), 4, seed=8).values_list("id", flat=True))


def test_bulk_form_assigns_checked_rows_filter_or_sample(manager_client, project, annotator):
    documents = add_documents(project, 12)
    url = reverse("document_bulk", args=[project.slug])
    response = manager_client.post(url, {"action": "assign", "scope": "checked", "doc": [documents[1].pk, documents[3].pk],
                                         "user": ["ann"], "list": "?q=raqqa"})
    assert response.status_code == 302 and response["Location"].endswith("/documents/?q=raqqa")
    assert set(Assignment.objects.values_list("document_id", flat=True)) == {documents[1].pk, documents[3].pk}
    manager_client.post(url, {"action": "assign", "scope": "all", "user": ["ann"], "list": "?q=11"})
    assert Assignment.objects.count() == 3
    manager_client.post(url, {"action": "assign", "scope": "sample", "sample": "5", "seed": "1", "user": ["ann"], "list": ""})
    assert 5 <= Assignment.objects.count() <= 8
    response = manager_client.post(url, {"action": "assign", "scope": "all", "user": ["nobody"], "list": ""})
    assert Assignment.objects.count() <= 8
    page = manager_client.get(reverse("document_list", args=[project.slug]) + "?annotator=ann")
    assert page.status_code == 200 and str(documents[1]) in page.content.decode()


IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def test_bulk_export_writes_only_the_selection(manager_client, project, settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.EXPORT_DIR = tmp_path
    documents = add_documents(project, 12)
    services.gold.record_many(project, {d.pk: [] for d in documents}, how="import")
    url = reverse("document_bulk", args=[project.slug])
    response = manager_client.post(url, {"action": "export", "scope": "checked", "doc": [documents[2].pk, documents[5].pk],
                                         "layer": "gold", "format": "jsonl", "list": ""})
    assert response.status_code == 302 and "/tasks/" in response["Location"]
    run = TaskRun.objects.get()
    assert run.status == "done" and run.result["documents"] == 2
    lines = (tmp_path / f"run-{run.pk}.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["text"] for line in lines) == sorted([documents[2].text, documents[5].text])
    manager_client.post(url, {"action": "export", "scope": "sample", "sample": "4", "seed": "3", "layer": "gold",
                              "format": "jsonl", "list": "?q=report"})
    assert TaskRun.objects.order_by("-pk").first().result["documents"] == 4
    manager_client.post(url, {"action": "export", "scope": "all", "layer": "gold", "format": "jsonl", "list": "?q=number+11"})
    assert TaskRun.objects.order_by("-pk").first().result["documents"] == 1


def test_bulk_predict_predicts_only_the_selection(manager_client, project, settings, fake_extractor):
    settings.TASKS = IMMEDIATE
    documents = add_documents(project, 10)
    url = reverse("document_bulk", args=[project.slug])
    response = manager_client.post(url, {"action": "predict", "scope": "checked", "doc": [documents[1].pk, documents[8].pk], "list": ""})
    assert response.status_code == 302 and "/tasks/" in response["Location"]
    run = TaskRun.objects.get()
    assert run.status == "done" and run.done == 2
    assert set(Prediction.objects.values_list("document_id", flat=True)) == {documents[1].pk, documents[8].pk}
