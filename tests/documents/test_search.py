"""Full-text search finds words with and without accents, on SQLite (FTS5) and PostgreSQL (tsvector)."""

import pytest
from django.db import connection

from annotator import listing, services
from annotator.formats import Record
from annotator.models import Document
from annotator.selectors import documents as doclist
from tests.conftest import make_document


def found(project, manager, q):
    query = listing.parse({"q": q, "size": "200"})
    return {row.document.pk for row in doclist.page_of(project, manager, "manager", query).rows}


# The words every face of the search (the list here, the API in tests/api/test_search.py) must find in
# both spellings of the same text.
BOTH_WAYS = ("Düsseldorf", "dusseldorf", "DUSSELDORF", "düsseldorf talks", "sao paulo", "São")


def accent_documents(project, other_text: str):
    """The same text with and without accents, and one other: (ids of the two, the other's id)."""
    accented = make_document(project, text="Talks in Düsseldorf and São Paulo went on.", order=1)
    plain = make_document(project, text="Talks in Dusseldorf and Sao Paulo went on.", order=2)
    other = make_document(project, text=other_text, order=3)
    return {accented.pk, plain.pk}, other


def _check_accents(project, manager):
    both, other = accent_documents(project, "Nothing here about Germany.")
    for q in BOTH_WAYS:
        assert found(project, manager, q) == both, q
    assert found(project, manager, "Germany") == {other.pk}
    assert found(project, manager, "Düsseldorf Germany") == set()  # every word must be there


def test_accents_are_found_both_ways(project, manager):
    _check_accents(project, manager)


@pytest.mark.postgres
def test_accents_are_found_both_ways_on_postgresql(project, manager):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    _check_accents(project, manager)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM annotator_document_search")
        assert cursor.fetchone()[0] == Document.objects.count()


def test_imported_documents_are_searchable_at_once(project, manager):
    """The import writes rows with a raw INSERT; the triggers index them all the same."""
    services.import_records(project, [Record(id="1", text="A report from Köln about Raqqa.", spans=[], meta={})], has_spans=False)
    assert len(found(project, manager, "koln raqqa")) == 1


def test_search_follows_title_changes_and_deletes(project, manager):
    document = make_document(project, text="Plain words only.", order=1)
    Document.objects.filter(pk=document.pk).update(title="Zürich")
    assert found(project, manager, "zurich") == {document.pk}
    Document.objects.filter(pk=document.pk).delete()
    assert found(project, manager, "zurich") == set()


def test_search_text_is_never_query_syntax(project, manager):
    make_document(project, text="Mosul (north) and Raqqa.", order=1)
    for q in ('"', "NEAR(", "mosul OR", "*", "raqqa -mosul", "a:b", "'); DROP TABLE x; --"):
        found(project, manager, q)  # no error
    assert len(found(project, manager, 'mosul" OR "x')) == 0
