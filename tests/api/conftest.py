"""API fixtures: a client per role with a token, tasks run at once, exports under tmp_path."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from annotator.models import Membership

from ..conftest import make_document

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def tasks_at_once(settings, tmp_path):
    """Background tasks run inside the request (the worker is tested in tests/test_tasks.py)."""
    settings.TASKS = IMMEDIATE
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.PREDICT_CHUNK_SIZE = 2


def token_client(user) -> APIClient:
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


@pytest.fixture
def as_user(make_user, project):
    """as_user(role) -> (user, client with its token); role None makes a user of no project."""

    made = {}

    def make(role=Membership.Role.ANNOTATOR, username=None):
        username = username or f"{role or 'outsider'}{len(made)}"
        user = make_user(username, role=role, project=project if role else None)
        made[username] = user
        return user, token_client(user)

    return make


@pytest.fixture
def docs(project, fake_extractor):
    """Three documents with the fake extractor's predictions."""
    from annotator import services

    documents = [
        make_document(project, text=f"Report {i}: Iraqi forces entered Mosul while families fled to Raqqa.", order=i)
        for i in range(1, 4)
    ]
    services.predict_documents(project)
    return documents


def url(project, tail: str = "") -> str:
    return f"/api/projects/{project.slug}/{tail}"
