"""Shared fixtures: a project with the default labels, users, and a fake extractor.

The fake extractor keeps the quick tests free of spaCy's start-up time; the
tests marked `slow` use the real one.
"""

import pytest
from django.contrib.auth import get_user_model

from annotator import services
from annotator.services import prediction
from annotator.extraction import token_offsets
from annotator.models import Document, Membership



def pytest_configure(config):
    """A cheap password hash for the test users (Django's advice for test suites): PBKDF2's million rounds
    cost 0.3 s a user or a login, most of the suite's time on PostgreSQL. The lockout test that is about
    hashing turns PBKDF2 back on for itself."""
    from django.conf import settings
    from django.contrib.auth import hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()


ARTICLE = (
    "U.S.-backed Iraqi forces pressed Islamic State fighters in Mosul's Old City on Friday.\n\n"
    "About 200 militants fled toward Raqqa, the group's de facto capital in Syria."
)


class FakeExtractor:
    """Suggests every occurrence of a few fixed strings; enough to test the app around it."""

    name = "fake-extractor"
    base_model = "fake"
    warnings: list[str] = []

    def __init__(self, version="fake-extractor-1", words=None):
        self.version = version
        self.words = words or {"Iraqi forces": "ACTOR", "Mosul": "LOCATION", "Raqqa": "LOCATION", "Syria": "ACTOR"}

    def predict(self, texts, batch_size=16):
        for text in texts:
            spans = []
            for word, label in self.words.items():
                start = text.find(word)
                while start != -1:
                    spans.append({"start": start, "end": start + len(word), "label": label, "score": 0.9, "source": "fake"})
                    start = text.find(word, start + 1)
            yield sorted(spans, key=lambda s: s["start"])


@pytest.fixture
def fake_extractor(monkeypatch):
    extractor = FakeExtractor()
    monkeypatch.setattr(prediction, "get_extractor", lambda model=None: extractor)
    return extractor


@pytest.fixture
def project(db):
    return services.ensure_project("news", name="News")


def make_document(project, text=ARTICLE, order=1, **fields):
    return Document.objects.create(
        project=project, text=text, tokens=[list(t) for t in token_offsets(text)], order=order, title=text.split("\n")[0][:60], **fields
    )


@pytest.fixture
def document(project):
    return make_document(project)


@pytest.fixture
def make_user(db):
    def make(username="ann", role=Membership.Role.ANNOTATOR, project=None, password="pw-for-tests-123"):
        user = get_user_model().objects.create_user(username=username, password=password)
        if project is not None:
            Membership.objects.create(project=project, user=user, role=role)
        return user

    return make


@pytest.fixture
def annotator(make_user, project):
    return make_user("ann", project=project)


@pytest.fixture
def manager(make_user, project):
    return make_user("boss", role=Membership.Role.MANAGER, project=project)


@pytest.fixture
def ann_client(client, annotator):
    client.force_login(annotator)
    return client


@pytest.fixture
def predicted(project, document, fake_extractor):
    """The document with the fake extractor's predictions stored."""
    services.predict_documents(project)
    return document
