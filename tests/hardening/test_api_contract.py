"""The API agrees with itself and its schema: a stale version is 409 before any other refusal, spans
outside the text are 422, malformed paging is 400, ids beyond 64 bits are 404, bodies are JSON only;
names are looked up in the project (404 otherwise) and GETs store nothing."""

from __future__ import annotations

import pytest

from annotator import services
from annotator.models import AnnotationSpan, EvaluationRun, Membership

from ..api.conftest import as_user, docs, tasks_at_once, url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
MANAGER, ANNOTATOR = Membership.Role.MANAGER, Membership.Role.ANNOTATOR


@pytest.fixture
def mine(project, docs, as_user):
    _, client = as_user(ANNOTATOR, "ann")
    annotation = client.post(url(project, "next/")).json()
    return client, annotation


def spans_url(project, annotation, tail=""):
    return url(project, f"annotations/{annotation['id']}/spans/{tail}")


def test_a_span_ending_beyond_the_text_is_422_not_clamped(project, mine):
    client, annotation = mine
    length = len(project.documents.get(pk=annotation["document"]).text)
    before = AnnotationSpan.objects.count()
    response = client.post(spans_url(project, annotation), {"version": annotation["version"], "start": length - 3, "end": length + 5, "label": "ACTOR"}, format="json")
    assert response.status_code == 422 and "outside the text" in response.json()["detail"]
    response = client.post(spans_url(project, annotation), {"version": annotation["version"], "start": length + 10, "end": length + 20, "label": "ACTOR"}, format="json")
    assert response.status_code == 422
    span = annotation["spans"][0]
    response = client.patch(spans_url(project, annotation, f"{span['id']}/"), {"version": annotation["version"], "end": length + 1}, format="json")
    assert response.status_code == 422
    assert AnnotationSpan.objects.count() == before


def test_a_stale_version_is_409_even_when_the_edit_would_also_be_refused(project, mine):
    client, annotation = mine
    span = annotation["spans"][0]
    # Someone else's edit moves the annotation on (version + 1).
    assert client.patch(spans_url(project, annotation, f"{span['id']}/"), {"version": annotation["version"], "label": "QUANTITY"}, format="json").status_code == 200
    stale = annotation["version"]
    # An overlapping add, an unknown label, a span outside the text, a no-op change: all with the stale version.
    for method, tail, body in [
        ("post", "", {"start": span["start"], "end": span["end"], "label": "ACTOR"}),
        ("post", "", {"start": 0, "end": 4, "label": "NO-SUCH-LABEL"}),
        ("post", "", {"start": 0, "end": 10**6, "label": "ACTOR"}),
        ("patch", f"{span['id']}/", {"label": "QUANTITY"}),
    ]:
        response = getattr(client, method)(spans_url(project, annotation, tail), {"version": stale, **body}, format="json")
        assert response.status_code == 409, (body, response.json())
        assert response.json()["current_version"] == stale + 1


def test_the_loser_of_a_race_of_overlapping_adds_gets_409(project, mine, monkeypatch):
    """Two adds based on the same version: the winner's span makes the loser's overlap, yet the loser hears 409."""
    client, annotation = mine
    document = project.documents.get(pk=annotation["document"])
    start = document.text.index("families")
    body = {"version": annotation["version"], "start": start, "end": start + len("families"), "label": "ACTOR"}
    real_check = services.editing.check_version

    def winner_first(target, version):
        real_check(target, version)  # both pass this check at the same moment...
        if not AnnotationSpan.objects.filter(annotation=target, start=start).exists():
            # ...then the winner's add commits before the loser's goes on
            other = services.editing.Annotation.objects.get(pk=target.pk)
            label = project.labels.get(name="LOCATION").pk
            monkeypatch.setattr(services.editing, "check_version", real_check)
            services.add_span(other, other.annotator, version=version, start=start, end=start + 8, label_id=label)

    monkeypatch.setattr(services.editing, "check_version", winner_first)
    response = client.post(spans_url(project, annotation), body, format="json")
    assert response.status_code == 409 and response.json()["current_version"] == annotation["version"] + 1
    assert AnnotationSpan.objects.filter(annotation_id=annotation["id"], start=start).count() == 1


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page=-1", "page_size=x", "page_size=0", "page_size=501", "page=1e3"])
def test_malformed_paging_is_400(project, as_user, docs, query):
    _, client = as_user(MANAGER)
    response = client.get(url(project, f"documents/?{query}"))
    assert response.status_code == 400, response.content


def test_paging_within_bounds_works_and_past_the_end_is_404(project, as_user, docs):
    _, client = as_user(MANAGER)
    assert client.get(url(project, "documents/?page=1&page_size=2")).json()["count"] == 3
    assert client.get(url(project, "documents/?page=9")).status_code == 404


@pytest.mark.parametrize("tail", ["documents/99999999999999999999/", "annotations/3000000000000000000000/spans/", "tasks/99999999999999999999999/"])
def test_ids_beyond_64_bits_are_404_not_500(project, as_user, tail):
    _, client = as_user(MANAGER)
    assert client.get(url(project, tail)).status_code == 404


def test_ids_over_2_31_are_404(project, as_user):
    _, client = as_user(MANAGER)
    assert client.get(url(project, f"documents/{2**31 + 5}/")).status_code == 404


def test_bodies_are_json_only(project, as_user):
    _, client = as_user(MANAGER)
    response = client.post(url(project, "documents/"), {"documents": "x"}, format="multipart")
    assert response.status_code == 415
    schema = client.get("/api/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if path == "/api/auth/token/":
                assert set(content) == {"application/json", "application/x-www-form-urlencoded"}
            else:
                assert set(content) <= {"application/json"}, (path, method, set(content))


def test_a_model_name_must_be_a_string(project, as_user):
    _, client = as_user(MANAGER)
    assert client.post(url(project, "evaluation/"), {"model": 0}, format="json").status_code == 400
    assert client.post(url(project, "exports/"), {"format": "jsonl", "layer": "model", "model": 0}, format="json").status_code == 400


# ---------------------------------------------------------------- names of another project


@pytest.fixture
def elsewhere(make_user, fake_extractor):
    """Another project with its own model version and annotator, unknown to the first project's manager."""
    from ..conftest import make_document

    other = services.ensure_project("elsewhere")
    make_document(other, text="Iraqi forces entered Mosul in another project.")
    services.import_records(other, [services.imports.Record(id="x", text="Raqqa fell.", spans=[])], layer="model", model="secret-model")
    hidden = make_user("hidden-annotator", project=other)
    return other, hidden


@pytest.mark.parametrize("name, tail", [("secret-model", "predictions/?model={}"), ("secret-model", "evaluation/?model={}")])
def test_another_projects_model_is_as_unknown_as_a_missing_one(project, as_user, docs, elsewhere, name, tail):
    _, client = as_user(MANAGER)
    theirs = client.get(url(project, tail.format(name)))
    missing = client.get(url(project, tail.format("no-such-model")))
    assert theirs.status_code == missing.status_code == 404


def test_another_projects_names_in_exports_are_404(project, as_user, docs, elsewhere):
    _, client = as_user(MANAGER)
    for body in (
        {"format": "jsonl", "layer": "model", "model": "secret-model"},
        {"format": "jsonl", "layer": "annotations", "annotator": "hidden-annotator"},
        {"format": "jsonl", "layer": "annotations", "annotator": "nobody-at-all"},
    ):
        assert client.post(url(project, "exports/"), body, format="json").status_code == 404, body
    assert client.post(url(project, "evaluation/"), {"model": "secret-model"}, format="json").status_code in (202, 404)


def test_another_projects_names_on_the_export_page_are_404(client, project, make_user, docs, elsewhere):
    from django.urls import reverse

    client.force_login(make_user("boss", role=MANAGER, project=project))
    export = reverse("export", args=[project.slug])
    for query in (
        {"format": "jsonl", "layer": "model", "model": "secret-model"},
        {"format": "jsonl", "layer": "annotations", "annotator": "hidden-annotator"},
        {"format": "jsonl", "layer": "annotations", "annotator": "nobody-at-all"},
    ):
        assert client.get(export, query).status_code == 404, query


def test_gets_store_nothing(project, as_user, docs):
    from annotator.models import Document, GoldSpan

    services.import_records(project, [services.imports.Record(id="g", text=docs[0].text, spans=[])], layer="gold")
    _, client = as_user(MANAGER)
    counts = (EvaluationRun.objects.count(), Document.objects.count(), GoldSpan.objects.count())
    for tail in ("evaluation/", "evaluation/?model=fake-extractor-1", "gold/", "predictions/", "models/", "agreement/", "documents/", "annotations/", "tasks/"):
        assert client.get(url(project, tail)).status_code == 200, tail
    assert (EvaluationRun.objects.count(), Document.objects.count(), GoldSpan.objects.count()) == counts
