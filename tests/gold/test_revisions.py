"""Gold revisions: append-only history, no-op writes, restore, diff, as-of reads, imports."""

import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from annotator import services
from annotator.adjudication import diff
from annotator.spans import Span as Item
from annotator.formats import Record, Span
from annotator.formats.records import EMPTY, UNANNOTATED
from annotator.models import GoldChange, GoldRevision, GoldSpan
from annotator.services import gold

from ..conftest import ARTICLE, make_document

MOSUL = ARTICLE.index("Mosul")
RAQQA = ARTICLE.index("Raqqa")
SYRIA = ARTICLE.index("Syria")
ISIS = ARTICLE.index("Islamic State")


def items(*triples):
    return [Item(*t) for t in triples]


BASE = items((MOSUL, MOSUL + 5, "LOCATION"), (RAQQA, RAQQA + 5, "LOCATION"))


def test_each_change_is_a_revision_and_the_same_gold_is_none(document, manager):
    first = gold.record(document, BASE, how=gold.How.REVIEW, user=manager)
    assert (first.number, first.added, first.removed, first.spans) == (1, 2, 0, 2)
    assert gold.record(document, list(reversed(BASE)), how=gold.How.REVIEW, user=manager) is None
    changed = items((MOSUL, MOSUL + 5, "LOCATION"), (RAQQA, RAQQA + 5, "ACTOR"), (SYRIA, SYRIA + 5, "LOCATION"))
    second = gold.record(document, changed, how=gold.How.API)
    # A relabel is one removal and one addition: storage grows with what changed.
    assert (second.number, second.added, second.removed, second.spans) == (2, 2, 1, 3)
    assert GoldChange.objects.count() == 2 + 3
    assert gold.current_items(document) == sorted(changed)
    assert gold.items_at(document, 1) == sorted(BASE)
    assert gold.items_at(document, 2) == sorted(changed)
    document.refresh_from_db()
    assert document.gold_at == second.created_at


def test_empty_gold_is_a_revision_too(document):
    revision = gold.record(document, [], how=gold.How.REVIEW)
    assert revision.number == 1 and revision.spans == 0
    document.refresh_from_db()
    assert document.gold_at is not None
    assert gold.record(document, [], how=gold.How.REVIEW) is None


def test_revisions_cannot_be_changed_or_deleted(document):
    revision = gold.record(document, BASE, how=gold.How.IMPORT)
    revision.how = "review"
    with pytest.raises(ValidationError, match="append-only"):
        revision.save()
    with pytest.raises(ValidationError, match="append-only"):
        revision.delete()
    change = GoldChange.objects.first()
    with pytest.raises(ValidationError, match="append-only"):
        change.delete()


def test_restore_writes_a_new_revision_and_keeps_the_history(document, manager):
    gold.record(document, BASE, how=gold.How.IMPORT)
    gold.record(document, BASE[:1], how=gold.How.REVIEW, user=manager)
    restored = gold.restore(document, 1, manager)
    assert (restored.number, restored.how, restored.restored_from) == (3, "restore", 1)
    assert gold.current_items(document) == sorted(BASE)
    assert [r.number for r in gold.history(document)] == [3, 2, 1]
    assert gold.restore(document, 1, manager) is None  # already so: nothing written
    with pytest.raises(gold.GoldRefused):
        gold.restore(document, 9, manager)


def test_diff_tells_removed_added_and_relabelled():
    before = items((0, 5, "ACTOR"), (10, 15, "LOCATION"), (20, 25, "ACTOR"))
    after = items((0, 5, "LOCATION"), (20, 25, "ACTOR"), (30, 35, "QUANTITY"))
    change = diff(before, after)
    assert change.removed == (Item(10, 15, "LOCATION"),)
    assert change.added == (Item(30, 35, "QUANTITY"),)
    assert change.relabelled == ((Item(0, 5, "ACTOR"), Item(0, 5, "LOCATION")),)
    assert change.summary() == "1 removed, 1 added, 1 relabelled"
    assert not diff(before, list(reversed(before))).changed


def test_as_of_reads_the_gold_as_it_stood(document, project):
    other = make_document(project, text="Fighting near Raqqa.", order=2)
    gold.record(document, BASE, how=gold.How.IMPORT)
    GoldRevision.objects.filter(document=document).update(created_at=timezone.now() - timedelta(hours=2))
    middle = timezone.now() - timedelta(hours=1)
    gold.record(document, BASE[:1], how=gold.How.REVIEW)
    gold.record(document, [*BASE, Item(SYRIA, SYRIA + 5, "ACTOR")], how=gold.How.REVIEW)
    gold.record(other, [Item(14, 19, "LOCATION")], how=gold.How.REVIEW)
    assert gold.items_as_of([document.pk, other.pk], middle) == {document.pk: sorted(BASE)}
    now = gold.items_as_of([document.pk, other.pk], timezone.now())
    assert now[document.pk] == gold.current_items(document) and now[other.pk] == [Item(14, 19, "LOCATION")]
    assert gold.items_as_of([document.pk], timezone.now() - timedelta(hours=3)) == {}


def _export(project, **options) -> list[dict]:
    out = io.StringIO()
    path = options.pop("path")
    call_command("export", "--project", project.slug, "--layer", "gold", "--output", str(path), stdout=out, stderr=out, **options)
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_as_of_gives_past_gold(document, project, tmp_path):
    gold.record(document, BASE, how=gold.How.IMPORT)
    GoldRevision.objects.filter(document=document).update(created_at=timezone.now() - timedelta(hours=2))
    then = (timezone.now() - timedelta(hours=1)).isoformat()
    gold.record(document, BASE[:1], how=gold.How.REVIEW)
    past = _export(project, path=tmp_path / "past.jsonl", as_of=then)
    assert [(s["start"], s["text"]) for s in past[0]["spans"]] == [(MOSUL, "Mosul"), (RAQQA, "Raqqa")]
    current = _export(project, path=tmp_path / "now.jsonl")
    assert [s["text"] for s in current[0]["spans"]] == ["Mosul"]
    assert _export(project, path=tmp_path / "before.jsonl", as_of="2000-01-01") == []
    with pytest.raises(Exception, match="ISO-8601"):
        _export(project, path=tmp_path / "bad.jsonl", as_of="yesterday")


def _record(text, spans, status="annotated"):
    return Record(id="r", text=text, spans=[Span(s, e, label) for s, e, label in spans], status=status)


def test_import_writes_revisions_only_for_changes(project):
    first = services.import_records(project, [_record(ARTICLE, [(MOSUL, MOSUL + 5, "LOCATION")])])
    assert first.revisions == 1 and GoldRevision.objects.count() == 1
    again = services.import_records(project, [_record(ARTICLE, [(MOSUL, MOSUL + 5, "LOCATION")])])
    assert again.revisions == 0 and again.unchanged == 1 and GoldRevision.objects.count() == 1
    changed = services.import_records(project, [_record(ARTICLE, [(RAQQA, RAQQA + 5, "LOCATION")])])
    assert changed.revisions == 1
    revision = GoldRevision.objects.get(number=2)
    assert (revision.how, revision.added, revision.removed) == ("import", 1, 1)
    document = revision.document
    assert gold.items_at(document, 1) == [Item(MOSUL, MOSUL + 5, "LOCATION")]
    assert gold.current_items(document) == [Item(RAQQA, RAQQA + 5, "LOCATION")]


def test_unannotated_records_never_touch_gold(project):
    services.import_records(project, [_record(ARTICLE, [(MOSUL, MOSUL + 5, "LOCATION")])])
    result = services.import_records(project, [_record(ARTICLE, [], status=UNANNOTATED), _record(ARTICLE, [], status=EMPTY)])
    assert result.not_annotated == 2 and result.revisions == 0
    assert GoldSpan.objects.count() == 1 and GoldRevision.objects.count() == 1
    emptied = services.import_records(project, [_record(ARTICLE, [], status=EMPTY)], empty_is_gold=True)
    assert emptied.revisions == 1 and GoldSpan.objects.count() == 0
    assert gold.items_at(GoldRevision.objects.get(number=1).document, 1) == [Item(MOSUL, MOSUL + 5, "LOCATION")]
    # A new text without annotation is imported as a document without gold.
    services.import_records(project, [_record("A text nobody annotated.", [], status=UNANNOTATED)])
    assert project.documents.get(text="A text nobody annotated.").gold_at is None


def test_api_gold_list_as_of(client, document, project, manager):
    gold.record(document, BASE, how=gold.How.IMPORT)
    GoldRevision.objects.filter(document=document).update(created_at=timezone.now() - timedelta(hours=2))
    then = (timezone.now() - timedelta(hours=1)).isoformat()
    gold.record(document, BASE[:1], how=gold.How.REVIEW)
    client.force_login(manager)
    base = f"/api/projects/{project.slug}/gold/"
    now = client.get(base).json()["results"]
    past = client.get(base, {"as_of": then}).json()["results"]
    assert [s["text"] for s in now[0]["spans"]] == ["Mosul"]
    assert [s["text"] for s in past[0]["spans"]] == ["Mosul", "Raqqa"]
    assert client.get(base, {"as_of": "2000-01-01T00:00:00Z"}).json()["results"] == []
    assert client.get(base, {"as_of": "not a time"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_gold_its_first_revision():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("annotator", "0006_compact_tokens")], [("annotator", "0007_gold_revisions")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        project = apps.get_model("annotator", "Project").objects.create(slug="m", name="m")
        label = apps.get_model("annotator", "Label").objects.create(project=project, name="LOCATION")
        documents = apps.get_model("annotator", "Document").objects
        with_gold = documents.create(project=project, text=ARTICLE, content_hash="a", gold_at=timezone.now())
        documents.create(project=project, text="No gold here.", content_hash="b")
        spans = apps.get_model("annotator", "GoldSpan").objects
        spans.create(document=with_gold, label=label, start=MOSUL, end=MOSUL + 5)
        spans.create(document=with_gold, label=label, start=RAQQA, end=RAQQA + 5)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        apps = executor.loader.project_state(after).apps
        revisions = apps.get_model("annotator", "GoldRevision").objects.all()
        assert [(r.document_id, r.number, r.how, r.spans) for r in revisions] == [(with_gold.pk, 1, "import", 2)]
        changes = apps.get_model("annotator", "GoldChange").objects.order_by("start")
        assert [(c.op, c.start) for c in changes] == [("+", MOSUL), ("+", RAQQA)]
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.parametrize(
    "fmt, line",
    [
        ("jsonl", {"id": "a", "text": ARTICLE}),  # no "spans": a text, not "no spans"
        ("prodigy", {"text": ARTICLE}),  # neither spans nor an answer: a source text
        ("jsonl", {"id": "a", "text": ARTICLE, "label": [[0, 4, "ACTOR"]]}),  # a doccano line read as JSONL
    ],
)
def test_lines_without_spans_never_erase_gold(project, tmp_path, fmt, line):
    services.import_records(project, [_record(ARTICLE, [(MOSUL, MOSUL + 5, "LOCATION")])])
    path = tmp_path / "texts.jsonl"
    path.write_text(json.dumps(line) + "\n")
    result = services.import_file(project, path, fmt=fmt)
    assert result.not_annotated == 1 and result.revisions == 0
    assert GoldSpan.objects.count() == 1 and GoldRevision.objects.count() == 1
    explicit = tmp_path / "empty.jsonl"
    explicit.write_text(json.dumps({"id": "a", "text": ARTICLE, "spans": []}) + "\n")
    assert services.import_file(project, explicit, fmt="jsonl").revisions == 1  # "spans": [] says: no spans
    assert GoldSpan.objects.count() == 0 and GoldRevision.objects.count() == 2
