"""The raw-SQL fast paths of annotator/db/bulk.py against the plain ORM."""

import pytest
from django.db import connection
from django.utils import timezone

from annotator import services
from annotator.db import bulk
from annotator.formats.jsonio import loads
from annotator.models import Document, GoldSpan, ImportBatch, Label

from ..conftest import make_document


@pytest.fixture
def documents(project):
    made = [make_document(project, f"Text number {n} about Mosul.", order=n) for n in range(12)]
    label = Label.objects.get(project=project, name="LOCATION")
    for document in made[::2]:
        GoldSpan.objects.create(document=document, label=label, start=document.text.index("Mosul"), end=len(document.text) - 1)
    return made


def _querysets(ids):
    return [
        Document.objects.filter(id__in=ids).order_by("order", "id").values_list("id", "text"),
        GoldSpan.objects.filter(document_id__in=ids).order_by("document_id").values_list("document_id", "start", "end"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("pick", [slice(0, 12), slice(3, 4), slice(0, 12, 5), slice(0, 0)])
def test_chunk_queries_read_what_the_orm_reads_for_any_chunk(documents, pick):
    compiled = bulk.ChunkQueries(_querysets)
    chunk = [d.pk for d in documents][pick]
    fast = bulk.fetch(connection, compiled.bind(chunk))
    assert fast == [list(queryset) for queryset in _querysets(chunk)]


@pytest.mark.django_db
def test_one_compilation_serves_chunks_of_any_size(documents):
    compiled = bulk.ChunkQueries(_querysets)
    ids = [d.pk for d in documents]
    for chunk in (ids[:5], ids[5:6], ids[6:], ids[:5]):
        assert bulk.fetch(connection, compiled.bind(chunk)) == [list(q) for q in _querysets(chunk)]


@pytest.mark.django_db
def test_a_query_that_lost_the_chunk_is_refused_at_once():
    with pytest.raises(RuntimeError):
        bulk.ChunkQueries(lambda ids: [Document.objects.filter(id__in=[1, 2])])


@pytest.mark.django_db
def test_json_columns_hold_each_owners_rows_as_the_orm_has_them(documents):
    rows = bulk.fetch(connection, [bulk.json_columns(GoldSpan.objects.all(), "document_id", "start", "end").query.sql_with_params()])[0]
    fast = {owner: sorted(zip(*(loads(c) if isinstance(c, str) else c for c in columns))) for owner, *columns in rows}
    slow = {}
    for span in GoldSpan.objects.all():
        slow.setdefault(span.document_id, []).append((span.start, span.end))
    assert fast == {owner: sorted(spans) for owner, spans in slow.items()}


@pytest.mark.django_db
def test_insert_rows_stores_what_bulk_create_does(project):
    label = Label.objects.get(project=project, name="ACTOR")
    one, two = make_document(project, "Police officers came.", order=1), make_document(project, "Police officers left.", order=2)
    now = timezone.now()
    stamp = bulk.prepared(GoldSpan, "decided_at", now)
    fields = ("document", "label", "start", "end", "decided_at")
    bulk.insert_rows(GoldSpan, fields, [(one.pk, label.pk, 0, 15, stamp), (one.pk, label.pk, 16, 20, stamp)])
    GoldSpan.objects.bulk_create(
        [GoldSpan(document=two, label=label, start=0, end=15, decided_at=now), GoldSpan(document=two, label=label, start=16, end=20, decided_at=now)]
    )
    fast = list(GoldSpan.objects.filter(document=one).order_by("start").values_list("label", "start", "end"))
    slow = list(GoldSpan.objects.filter(document=two).order_by("start").values_list("label", "start", "end"))
    assert fast == slow


@pytest.mark.django_db
def test_document_rows_store_what_the_orm_stores(project):
    """DocumentRows' raw INSERT against Document.objects.create with the same values."""
    from annotator.formats import Record
    from annotator.formats.tokens import token_offsets
    from annotator.models import content_hash

    texts = ["Police officers in New York City.", "Iraqi forces entered Mosul on Monday."]
    records = {content_hash(t): Record(id=f"fast-{n}", text=t, meta={"source": "x", "n": n}) for n, t in enumerate(texts)}
    rows = bulk.DocumentRows(project, lambda record: record.text[:12])
    assert rows.insert(records, 10) == 12
    other = services.ensure_project("other")  # the same texts: (project, content hash) is unique
    batch = ImportBatch.objects.create(project=other)
    for n, text in enumerate(texts):
        Document.objects.create(
            project=other, external_id=f"slow-{n}", title=text[:12], text=text, content_hash=content_hash(text),
            tokens=token_offsets(text), meta={"source": "x", "n": n}, order=10 + n, batch=batch,
        )
    fields = ("title", "text", "content_hash", "tokens", "meta", "order", "gold_at", "uncertainty")
    fast = list(Document.objects.filter(external_id__startswith="fast-").order_by("order").values_list(*fields))
    slow = list(Document.objects.filter(external_id__startswith="slow-").order_by("order").values_list(*fields))
    assert fast == slow


@pytest.mark.django_db
def test_record_many_writes_what_record_writes_one_by_one(project):
    """services.gold.record_many (multi-row INSERTs) against services.gold.record (the ORM, a document at a time)."""
    from annotator.services import gold
    from annotator.spans import Span

    label = Label.objects.get(project=project, name="ACTOR")
    fast_docs = [make_document(project, f"Police officers number {n}.", order=n) for n in range(3)]
    slow_docs = [make_document(project, f"Police officers, case {n}.", order=10 + n) for n in range(3)]
    wanted = [[(0, 6, label.pk)], [(0, 6, label.pk), (7, 15, label.pk)], []]
    for round_ in range(2):  # a second round changes nothing: no revision either way
        gold.record_many(project, {d.pk: spans for d, spans in zip(fast_docs, wanted)}, how="import")
        for document, spans in zip(slow_docs, wanted):
            gold.record(document, [Span(s, e, "ACTOR") for s, e, _ in spans], how="import")

    def state(document):
        revisions = list(document.gold_revisions.order_by("number").values_list("number", "how", "added", "removed", "spans"))
        spans = sorted(document.gold_spans.values_list("start", "end", "label_id"))
        return revisions, spans

    for fast, slow in zip(fast_docs, slow_docs):
        fast.refresh_from_db(), slow.refresh_from_db()
        assert state(fast) == state(slow) and (fast.gold_at is None) == (slow.gold_at is None)
