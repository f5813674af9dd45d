"""The summaries the triggers keep (models.DocumentSummary, DocumentMeta, AnnotatorSummary, StateCount)
equal a recount from the base tables.

After random edits, submissions, skips, reopenings, reviews, imports, API
pushes, gold restores, setting changes and deletions, every document's row
is compared with what the plain-Python rule (annotator.states) makes of its
annotations, and its metadata rows with its `meta`. A summary that went
wrong is put right by `manage.py rebuild_summaries`. Run on PostgreSQL too
with DATABASE_URL.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotator import services, states
from annotator.db import summaries
from annotator.formats import Record, Span
from annotator.models import (
    Annotation,
    AnnotatorSummary,
    AnnotationSpan,
    Document,
    DocumentMeta,
    DocumentSummary,
    Label,
    Membership,
    Project,
    StateCount,
)
from annotator.selectors import queue
from annotator.services import gold

from ..conftest import make_document

pytestmark = pytest.mark.django_db
ANNOTATION, SUBMITTED, DRAFT, SKIPPED = "annotation", "submitted", "draft", "skipped"
TEXT = "Iraqi forces pressed toward Mosul while militants fled to Raqqa. Report {}."


def recount(project: Project) -> dict[int, dict]:
    """Every document's summary as the base tables and annotator.states say it should be."""
    needed = states.needed_for_review(project.annotators_per_document, project.needs_review)
    annotations = list(Annotation.objects.filter(document__project=project, kind=ANNOTATION))
    spans: dict[int, set] = {}
    for annotation_id, start, end, label in AnnotationSpan.objects.filter(
        annotation__in=[a for a in annotations if a.status == SUBMITTED]
    ).values_list("annotation_id", "start", "end", "label_id"):
        spans.setdefault(annotation_id, set()).add((start, end, label))
    expected = {}
    for document in project.documents.all():
        mine = [a for a in annotations if a.document_id == document.pk]
        submitted = [a for a in mine if a.status == SUBMITTED]
        last = max((a.submitted_at for a in submitted if a.submitted_at), default=None)
        held = Counter(key for a in submitted for key in spans.get(a.pk, ()))
        after_review = last is not None and (document.reviewed_at is None or last > document.reviewed_at)
        expected[document.pk] = {
            "submitted": len(submitted),
            "drafts": sum(a.status == DRAFT for a in mine),
            "skipped": sum(a.status == SKIPPED for a in mine),
            "last_submitted": last,
            "gold_at": document.gold_at,
            "reviewed_at": document.reviewed_at,
            "order": document.order,
            "disagreement": any(n < len(submitted) for n in held.values()),
            "state": states.document_state(
                has_gold=document.gold_at is not None, submitted=len(submitted), drafts=sum(a.status == DRAFT for a in mine),
                needed=needed, submitted_after_review=after_review,
            ),
        }
    return expected


def stored(project: Project) -> dict[int, dict]:
    fields = ("submitted", "drafts", "skipped", "last_submitted", "gold_at", "reviewed_at", "order", "disagreement", "state")
    rows = DocumentSummary.objects.filter(document__project=project).values("document_id", "project_id", *fields)
    assert all(row["project_id"] == project.pk for row in rows)
    return {row["document_id"]: {f: row[f] for f in fields} for row in rows}


def meta_rows(project: Project) -> set:
    return set(DocumentMeta.objects.filter(project=project).values_list("document_id", "key", "value"))


def expected_meta(project: Project) -> set:
    return {(d.pk, k, str(v)) for d in project.documents.all() for k, v in d.meta.items() if v is not None}


STATUS_FIELD = {SUBMITTED: "submitted", DRAFT: "drafts", SKIPPED: "skipped"}


def work_recount(project: Project) -> dict[int, dict]:
    """Each annotator's annotations in the project counted by status (review copies are not counted)."""
    counts: dict[int, dict] = {}
    for annotator_id, status in Annotation.objects.filter(document__project=project, kind=ANNOTATION).values_list(
        "annotator_id", "status"
    ):
        counts.setdefault(annotator_id, {"submitted": 0, "drafts": 0, "skipped": 0})[STATUS_FIELD[status]] += 1
    return counts


def work_stored(project: Project) -> dict[int, dict]:
    rows = AnnotatorSummary.objects.filter(project=project).values("annotator_id", "submitted", "drafts", "skipped")
    assert all(min(r["submitted"], r["drafts"], r["skipped"]) >= 0 for r in rows)
    return {r.pop("annotator_id"): r for r in rows if r["submitted"] or r["drafts"] or r["skipped"]}


def states_stored(project: Project) -> dict[str, tuple[int, int]]:
    """The counts per state as the pages read them: sums (PostgreSQL keeps rows of changes)."""
    rows = (StateCount.objects.filter(project=project).order_by().values_list("state")
            .annotate(documents=Sum("documents"), gold=Sum("gold")).values_list("state", "documents", "gold"))
    assert all(documents >= gold >= 0 for _, documents, gold in rows)
    return {state: (documents, gold) for state, documents, gold in rows if documents}


def states_recount(expected: dict[int, dict]) -> dict[str, tuple[int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for row in expected.values():
        documents, gold = counts.get(row["state"], (0, 0))
        counts[row["state"]] = (documents + 1, gold + (row["gold_at"] is not None))
    return counts


def assert_in_step(project: Project) -> None:
    expected = recount(project)
    assert stored(project) == expected
    assert meta_rows(project) == expected_meta(project)
    assert work_stored(project) == work_recount(project)
    assert states_stored(project) == states_recount(expected)


@pytest.fixture
def team(make_user, project):
    return [make_user(f"a{i}", project=project) for i in range(3)]


def _labels(project):
    return list(Label.objects.filter(project=project))


def _random_step(rng: random.Random, project: Project, documents: list[Document], team: list, reviewer) -> str:
    """One random write through a real path; the name of what was done."""
    document = Document.objects.get(pk=rng.choice(documents).pk)
    user = rng.choice(team)
    annotation = services.start_annotation(document, user)
    action = rng.choice(["add", "add", "submit", "submit", "reopen", "skip", "delete_span", "review", "restore", "confirm",
                         "k", "import", "delete_annotation", "meta"])
    try:
        if action == "add":
            start = rng.randrange(0, 40)
            services.add_span(annotation, user, version=annotation.version, start=start, end=start + rng.randrange(1, 6),
                              label_id=rng.choice(_labels(project)).pk)
        elif action == "submit":
            services.submit(annotation, user, version=annotation.version)
        elif action == "reopen":
            services.reopen(annotation, user, version=annotation.version)
        elif action == "skip":
            services.skip(annotation, user, version=annotation.version)
        elif action == "delete_span":
            span = annotation.spans.first()
            if span is not None:
                services.delete_span(annotation, user, version=annotation.version, span_id=span.pk)
        elif action == "review":
            review = services.start_review(document, reviewer)
            services.accept(review, reviewer, version=review.version, confirm=True)
        elif action == "restore":
            history = gold.history(document)
            if history:
                gold.restore(document, rng.choice(history).number, reviewer)
        elif action == "confirm":
            gold.confirm(document)
        elif action == "k":
            project.annotators_per_document = rng.choice([1, 2, 3])
            project.review_single = rng.choice([True, False])
            project.save()
        elif action == "import":  # an annotator's submitted annotations replaced by an import (raw spans)
            chosen = rng.sample(documents, 3)
            records = [Record(id=d.external_id or str(d.pk), text=d.text, spans=[Span(0, 5, "ACTOR")] if rng.random() < 0.5 else [])
                       for d in chosen]
            services.import_records(project, records, layer="annotations", annotator=user)
        elif action == "delete_annotation":
            Annotation.objects.filter(pk=annotation.pk).delete()
        elif action == "meta":
            document.meta = {"source": rng.choice(["wire", "blog"]), "n": rng.randrange(3)}
            document.save()
    except (services.EditRefused, services.StaleEdit, services.SlotTaken) as refused:
        return f"{action} refused ({refused.__class__.__name__})"
    return action


@pytest.mark.parametrize("seed", [1, 2])
def test_summaries_equal_a_recount_after_random_work(project, team, make_user, seed):
    reviewer = make_user("rev", role=Membership.Role.REVIEWER, project=project)
    documents = [make_document(project, TEXT.format(i), order=i, external_id=f"d{i}", meta={"source": "wire", "n": i})
                 for i in range(8)]
    rng = random.Random(seed)
    done = Counter()
    for step in range(120):
        done[_random_step(rng, project, documents, team, reviewer).split()[0]] += 1
        if step % 10 == 9:
            assert_in_step(project)
    assert_in_step(project)
    assert done["submit"] and done["review"] and done["import"]  # the walk did reach the paths it is about
    # PostgreSQL's rows of changes are folded as they pile up (annotator.db.summaries.pg_states).
    assert StateCount.objects.filter(project=project).count() <= summaries.COMPACT_AFTER + 2


def test_imports_and_api_pushes_write_summaries(project, team, make_user):
    manager = make_user("boss", role=Membership.Role.MANAGER, project=project)
    records = [Record(id=f"r{i}", text=TEXT.format(i), spans=[Span(0, 5, "ACTOR")] if i % 2 else [], meta={"batch": "x"})
               for i in range(6)]
    services.import_records(project, records, layer="gold", empty_is_gold=False)
    services.import_records(project, records, layer="model", model="m-1")
    services.import_records(project, records[:3], layer="annotations", annotator=team[0])
    services.import_records(project, [Record(id="r0", text=TEXT.format(0), spans=[Span(6, 12, "ACTOR")])], layer="annotations",
                            annotator=team[1])
    client = APIClient(HTTP_HOST="localhost")
    client.force_authenticate(manager)
    body = {"documents": [{"id": "p1", "text": "Pushed text about Mosul.", "meta": {"source": "api"},
                           "spans": [{"start": 18, "end": 23, "label": "LOCATION", "text": "Mosul"}]}]}
    assert client.post(f"/api/projects/{project.slug}/documents/", body, format="json").status_code == 201
    assert_in_step(project)
    summary = {s.document.external_id: s for s in DocumentSummary.objects.filter(project=project).select_related("document")}
    assert summary["p1"].state == states.REVIEWED and summary["r0"].disagreement  # a1 said nothing, a2 said ACTOR
    assert summary["r0"].submitted == 2 and summary["r0"].state == states.WAITING and summary["r4"].state == states.REVIEWED
    assert ("source", "api") in {(m.key, m.value) for m in DocumentMeta.objects.filter(document__external_id="p1")}


def test_deleting_documents_and_projects_leaves_no_rows(project, team):
    documents = [make_document(project, TEXT.format(i), order=i, meta={"k": "v"}) for i in range(3)]
    annotation = services.start_annotation(documents[0], team[0])
    services.submit(annotation, team[0], version=annotation.version)
    documents[0].delete()
    assert_in_step(project)
    project.delete()
    assert not DocumentSummary.objects.exists() and not DocumentMeta.objects.exists()


def test_rebuild_command_restores_broken_summaries(project, team):
    documents = [make_document(project, TEXT.format(i), order=i, meta={"k": str(i)}) for i in range(4)]
    annotation = services.start_annotation(documents[1], team[0])
    services.submit(annotation, team[0], version=annotation.version)
    expected = recount(project)
    DocumentSummary.objects.filter(document=documents[1]).update(state=states.UNASSIGNED, submitted=0)
    DocumentSummary.objects.filter(document=documents[2]).delete()
    DocumentMeta.objects.filter(document=documents[3]).delete()
    DocumentMeta.objects.create(document=documents[0], project=project, key="stale", value="x")
    AnnotatorSummary.objects.filter(project=project).update(submitted=7, drafts=-1)
    StateCount.objects.filter(project=project).update(documents=99)
    assert stored(project) != expected
    call_command("rebuild_summaries", "--project", project.slug, verbosity=0)
    assert_in_step(project)


def test_every_trigger_is_installed():
    """A migration that remakes a table on SQLite drops its triggers (see annotator.db.summaries)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = {row[0] for row in cursor.fetchall()}
    assert {name for name, _ in summaries.TRIGGERS} <= names


def test_the_stored_state_follows_the_project_settings(project, team):
    document = make_document(project, TEXT.format(0))
    annotation = services.start_annotation(document, team[0])
    services.add_span(annotation, team[0], version=annotation.version, start=0, end=5, label_id=_labels(project)[0].pk)
    annotation.refresh_from_db()
    project.annotators_per_document, project.review_single = 2, False
    project.save()
    services.submit(annotation, team[0], version=annotation.version)
    assert DocumentSummary.objects.get(document=document).state == states.SUBMITTED
    project.annotators_per_document = 1
    project.review_single = True
    project.save()
    assert DocumentSummary.objects.get(document=document).state == states.WAITING
    assert_in_step(project)


def _reviewed_and_waiting(project, n):
    """`n` documents with gold (reviewed), every third with a submission after it (waiting)."""
    annotator = Membership.objects.filter(project=project, role=Membership.Role.ANNOTATOR).first().user
    records = [Record(id=f"q{i}", text=TEXT.format(i), spans=[Span(0, 5, "ACTOR")]) for i in range(n)]
    services.import_records(project, records, layer="gold")
    services.import_records(project, records[::3], layer="annotations", annotator=annotator)


def test_review_queue_pages_waiting_first_without_repeats(project, team, client, make_user):
    _reviewed_and_waiting(project, 130)
    seen, waits, after = [], [], None
    while True:
        page = queue.review_queue(project, after, size=20)
        seen += [row.document.pk for row, _ in page.rows]
        waits += [w for _, w in page.rows]
        if page.next is None:
            break
        after = page.next
    assert len(seen) == len(set(seen)) == 130 and page.waiting == 44 and page.reviewed == 86
    assert waits == [True] * 44 + [False] * 86
    manager = make_user("boss", role=Membership.Role.MANAGER, project=project)
    client.force_login(manager)
    response = client.get(f"/p/{project.slug}/review/")
    assert response.status_code == 200 and response.content.count(b"<tr>") == 1 + queue.PAGE
    assert b'rel="next"' in response.content


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_pages_run_as_many_queries_at_two_sizes(make_user, client):
    """The review queue, its next page, the progress page, the export page and the list's summary filters
    cost the same number of queries with 12 documents as with 120."""
    counted = []
    for n in (12, 120):
        project = services.ensure_project(f"size{n}", name=f"Size {n}")
        manager = make_user(f"boss{n}", role=Membership.Role.MANAGER, project=project)
        make_user(f"ann{n}", project=project)
        _reviewed_and_waiting(project, n)
        Document.objects.filter(project=project).update(meta={"source": "wire"})
        client.force_login(manager)
        base = f"/p/{project.slug}/"
        second = DocumentSummary.objects.filter(project=project, state=states.WAITING).order_by("order", "document_id")[2]
        paths = [base + "review/", base + f"review/?after=w-{second.order}-{second.document_id}", base + "progress/",
                 base + "export/", base + "documents/?disagreement=1", base + "documents/?meta=source%3Dwire",
                 base + "documents/?state=waiting"]
        counted.append([_queries(client, path) for path in paths])
    assert counted[0] == counted[1]


def test_the_submitted_changes_move_when_the_submitted_spans_can(project, team):
    """What a stored agreement or label count is checked against (selectors.dashboards.basis): it moves on
    a submission, a reopening, a resubmission and a deletion, not on a draft's edits."""
    document = make_document(project, TEXT.format(0))
    label = _labels(project)[0]

    def changes():
        row = AnnotatorSummary.objects.get(project=project, annotator=team[0])
        return row.submitted, row.submitted_changes

    annotation = services.start_annotation(document, team[0])
    services.add_span(annotation, team[0], version=annotation.version, start=0, end=5, label_id=label.pk)
    assert changes() == (0, 0)  # a draft and its edits
    for step, expected in (("submit", (1, 1)), ("reopen", (0, 2)), ("submit", (1, 3))):
        annotation.refresh_from_db()
        getattr(services, step)(annotation, team[0], version=annotation.version)
        assert changes() == expected, step
    services.import_records(project, [Record(id=str(document.pk), text=document.text, spans=[Span(6, 12, "ACTOR")])],
                            layer="annotations", annotator=team[0])
    submitted, moved = changes()
    assert submitted == 1 and moved > 3  # submitted again by the import, with other spans
    Annotation.objects.filter(annotator=team[0]).delete()
    assert changes() == (0, moved + 1)


def test_rows_of_changes_are_folded_on_postgresql(project, team):
    """PostgreSQL adds a row of changes a statement; past COMPACT_AFTER rows a project's are folded into
    one a state, and the sums stay what they were."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps one row a state")
    documents = [make_document(project, TEXT.format(i), order=i) for i in range(3)]
    for i in range(summaries.COMPACT_AFTER):  # pile up rows that cancel out
        StateCount.objects.create(project=project, state=states.REVIEWED, documents=1 - 2 * (i % 2), gold=0)
    before = states_stored(project)
    assert StateCount.objects.filter(project=project).count() > summaries.COMPACT_AFTER
    annotation = services.start_annotation(documents[0], team[0])  # one state change: unassigned -> in progress
    assert StateCount.objects.filter(project=project).count() <= len(states.ORDER)
    assert states_stored(project) == {**before, states.UNASSIGNED: (2, 0), states.IN_PROGRESS: (1, 0)}
    services.submit(annotation, team[0], version=annotation.version)
    assert_in_step(project)
