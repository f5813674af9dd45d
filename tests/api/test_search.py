"""The API's document search is the document list's full-text search: words, accents or not, both databases."""

import pytest
from django.db import connection

from ..documents.test_search import BOTH_WAYS, accent_documents
from .conftest import url


def found(client, project, q):
    response = client.get(url(project, "documents/"), {"q": q, "page_size": 100})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _check(project, as_user):
    _, client = as_user("manager")
    both, other = accent_documents(project, "Nothing here about Germany (Raqqa).")
    for q in BOTH_WAYS:
        assert found(client, project, q) == both, q
    assert found(client, project, "raqqa") == {other.pk}
    assert found(client, project, "Düsseldorf Germany") == set()  # every word must be there
    assert found(client, project, "sseldo") == set()  # words, not substrings
    for q in ('"', "NEAR(", "paulo OR", "*", "'); DROP TABLE x; --"):
        assert client.get(url(project, "documents/"), {"q": q}).status_code == 200, q


@pytest.mark.parametrize("vendor", ["any", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_search_finds_words_with_and_without_accents(project, as_user, vendor):
    """Run with DATABASE_URL=postgres://... for the tsvector side (the "postgresql" case is skipped otherwise)."""
    if vendor != "any" and connection.vendor != vendor:
        pytest.skip(f"needs {vendor} (DATABASE_URL)")
    _check(project, as_user)


def test_annotators_search_only_their_own_documents(project, as_user, docs):
    _, client = as_user()
    assert found(client, project, "raqqa") == set()
    client.post(url(project, f"documents/{docs[1].pk}/annotation/"))
    assert found(client, project, "raqqa") == {docs[1].pk}
