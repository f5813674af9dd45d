"""Schemathesis against the OpenAPI schema: no 5xx, and every response fits the schema.

Path parameters are narrowed to the objects that exist (the slug of the
project, its documents, the manager's annotation and spans, the runs), so
the generated requests reach the handlers instead of stopping at a 404.
"""

import pytest
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from rest_framework.test import APIClient

import schemathesis
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from annotator import services
from annotator.jobs import start
from annotator.models import Membership

pytestmark = pytest.mark.slow

try:
    from schemathesis.checks import not_a_server_error
except ImportError:  # pragma: no cover - moved between releases
    from schemathesis.specs.openapi.checks import not_a_server_error  # type: ignore[no-redef]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def keep_connection(request) -> None:
    """Requests go straight to the WSGI app, whose request signals would close the test's connection
    (on PostgreSQL: it is inside the test's transaction). Django's test client disconnects them the
    same way, and connects them again after each of its own requests, so this comes last."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    def again():
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)

    request.addfinalizer(again)


@pytest.fixture
def api_schema(request, db, project, docs, make_user, fake_extractor):
    boss = make_user("boss", role=Membership.Role.MANAGER, project=project)
    ann = make_user("ann", project=project)
    done = services.start_annotation(docs[1], ann)
    services.submit(done, ann, version=done.version)
    mine = services.start_annotation(docs[0], boss)
    run = start.start_export(project, boss, fmt="jsonl", layer="gold")
    raw = APIClient().get("/api/schema/?format=json").json()
    ids = {
        "slug": [project.slug],
        "pk": [d.pk for d in docs] + [run.pk],
        "aid": [mine.pk, done.pk],
        "span_id": list(mine.spans.values_list("pk", flat=True)),
    }
    for path in raw["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in ids:
                    parameter["schema"] = {**parameter["schema"], "enum": ids[parameter["name"]]}
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()
    pytest.api_token = AuthToken.objects.create(user=boss)[1]
    keep_connection(request)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_against_its_schema(case):
    case.call_and_validate(app=get_wsgi_application(), headers={"Authorization": f"Token {pytest.api_token}"}, checks=CHECKS)


def test_json_export_downloads_are_described_as_json_not_as_a_string(client):
    """A Label Studio export is a JSON array: the schema must not promise a binary string for it."""
    schema = client.get("/api/schema/?format=json").json()
    content = schema["paths"]["/api/projects/{slug}/tasks/{id}/download/"]["get"]["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {}
    assert content["*/*"]["schema"] == {"type": "string", "format": "binary"}
