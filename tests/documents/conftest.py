"""Fixtures of the document list's tests: many documents at once, and the people who look at them."""

import pytest

from annotator.models import Document, Membership, content_hash


def add_documents(project, n, *, start=0, order=None, **fields):
    """`n` new documents (bulk INSERT: the search triggers see them as the import's rows); their order
    numbers follow `start`, or all equal `order`."""
    documents = []
    for i in range(start, start + n):
        text = f"Article {i}: fighting near Raqqa and Mosul, report number {i}."
        documents.append(
            Document(
                project=project, text=text, content_hash=content_hash(text), title=f"Article {i}",
                order=order if order is not None else i, tokens=[], **fields,
            )
        )
    return Document.objects.bulk_create(documents)


@pytest.fixture
def reviewer(make_user, project):
    return make_user("rev", role=Membership.Role.REVIEWER, project=project)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client
