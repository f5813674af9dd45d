"""The OpenAPI schema itself, and the connection rule the schemathesis run needs.

Schemathesis runs against the schema once, with every check it has
(no 5xx, responses fit the schema, status codes and content types as
documented, negative data refused...): tests/hardening/test_schema_all_checks.py.
"""



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


def test_json_export_downloads_are_described_as_json_not_as_a_string(client):
    """A Label Studio export is a JSON array: the schema must not promise a binary string for it."""
    schema = client.get("/api/schema/?format=json").json()
    content = schema["paths"]["/api/projects/{slug}/tasks/{id}/download/"]["get"]["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {}
    assert content["*/*"]["schema"] == {"type": "string", "format": "binary"}
