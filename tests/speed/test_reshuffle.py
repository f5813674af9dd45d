"""Reshuffling the random work order costs the same few queries for 3 documents or 60 (no query a row)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.models import Document
from annotator.services.assignment import reshuffle, shuffle_key

from ..conftest import make_document


def _reshuffle_queries(project) -> int:
    with CaptureQueriesContext(connection) as captured:
        reshuffle(project)
    return len([q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]])


def test_reshuffle_does_not_read_a_row_at_a_time(project):
    for i in range(3):
        make_document(project, text=f"Document number {i} about Mosul.", order=i)
    project.random_seed = 7
    few = _reshuffle_queries(project)
    for i in range(3, 60):
        make_document(project, text=f"Document number {i} about Mosul.", order=i)
    project.random_seed = 8
    many = _reshuffle_queries(project)
    assert few == many == 2  # read the hashes, one batched UPDATE
    for document in Document.objects.filter(project=project):
        assert document.shuffle_key == shuffle_key(8, document.content_hash)
