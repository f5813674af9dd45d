"""Two writers with the same annotation version: exactly one wins, on a real server database."""

import threading

import pytest
from django.db import connection

from annotator import services
from annotator.models import Annotation

from .conftest import ARTICLE

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_edits_with_one_version_never_both_apply(project, fake_extractor, make_user):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    from .conftest import make_document

    user = make_user("ann", project=project)
    document = make_document(project)
    services.predict_documents(project)
    annotation = services.start_annotation(document, user)
    label = project.labels.get(name="ACTOR").pk
    words = ["Islamic", "State", "fighters", "Friday", "About", "militants", "capital", "Old"]
    barrier = threading.Barrier(len(words))
    outcomes = []

    def edit(word):
        try:
            barrier.wait()
            start = ARTICLE.index(word)
            services.add_span(annotation, user, version=1, start=start, end=start + len(word), label_id=label)
            outcomes.append("applied")
        except services.StaleEdit:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(w,)) for w in words]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["applied"] + ["stale"] * (len(words) - 1)
    annotation = Annotation.objects.get(pk=annotation.pk)
    assert annotation.version == 2 and annotation.spans.filter(origin="manual").count() == 1


def test_concurrent_claims_never_share_the_last_slot(project, make_user):
    """k = 2, one document with one slot left: of many annotators asking at once, exactly one gets it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    from .conftest import make_document

    project.annotators_per_document = 2
    project.save()
    document = make_document(project)
    first = make_user("first", project=project)
    assert services.claim_next(project, first) == document
    users = [make_user(f"ann{i}", project=project) for i in range(8)]
    barrier = threading.Barrier(len(users))
    got = []

    def claim(user):
        try:
            barrier.wait()
            got.append(services.claim_next(project, user))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for d in got if d is not None) == 1
    assert Annotation.objects.filter(document=document).count() == 2
