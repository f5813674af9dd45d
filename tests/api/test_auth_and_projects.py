"""Authentication (token and session), the schema, projects and labels, and who sees which project."""

import re

import pytest
from rest_framework.test import APIClient

from annotator import services
from annotator.models import Membership

from .conftest import url

pytestmark = pytest.mark.django_db

MANAGER, REVIEWER, ANNOTATOR = Membership.Role.MANAGER, Membership.Role.REVIEWER, Membership.Role.ANNOTATOR


def test_token_for_username_and_password(make_user):
    make_user("alice", password="a-long-pass-123")
    client = APIClient(HTTP_HOST="localhost")
    response = client.post("/api/auth/token/", {"username": "alice", "password": "a-long-pass-123"}, format="json")
    assert response.status_code == 200 and set(response.json()) == {"token", "expiry"}
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/projects/").status_code == 200
    assert APIClient().post("/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json").status_code == 400


def test_no_credentials_get_401_not_a_login_redirect():
    response = APIClient().get("/api/projects/")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Token")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/projects/").status_code == 401


def test_session_auth_needs_csrf_for_writes(project, make_user):
    user = make_user("boss", role=MANAGER, project=project)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(url(project)).status_code == 200
    assert client.post(url(project, "predict/")).status_code == 403  # no CSRF token: refused


def test_schema_and_swagger_page_are_served_without_cdn():
    client = APIClient()
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from the internet


def test_projects_lists_only_membership(project, as_user):
    other = services.ensure_project("secret")
    user, client = as_user(ANNOTATOR)
    slugs = [p["slug"] for p in client.get("/api/projects/").json()["results"]]
    assert slugs == [project.slug]
    assert client.get(f"/api/projects/{other.slug}/").status_code == 404
    assert client.get(f"/api/projects/{other.slug}/labels/").status_code == 404


@pytest.mark.parametrize("role", [MANAGER, REVIEWER, ANNOTATOR])
def test_project_detail_and_labels_for_every_role(project, as_user, role):
    _, client = as_user(role)
    detail = client.get(url(project)).json()
    assert detail["role"] == role and detail["slug"] == project.slug and detail["document_count"] == 0
    labels = client.get(url(project, "labels/")).json()
    assert [label["name"] for label in labels] == ["ACTOR", "LOCATION", "QUANTITY"]


def test_outsider_gets_404_everywhere_in_the_project(project, as_user, docs):
    _, client = as_user(None)
    for tail in ("", "labels/", "documents/", f"documents/{docs[0].pk}/", "annotations/", "gold/", "predictions/", "tasks/", "evaluation/", "agreement/", "models/"):
        assert client.get(url(project, tail)).status_code == 404, tail
    assert client.post(url(project, "predict/")).status_code == 404


def test_superuser_is_a_manager_everywhere(project, django_user_model):
    from .conftest import token_client

    root = django_user_model.objects.create_superuser("root", password="x-long-pass-123")
    assert token_client(root).get(url(project)).json()["role"] == MANAGER
