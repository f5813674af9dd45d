"""The pages work under the Content-Security-Policy: no violation reported, htmx and the editor run."""

import pytest

from annotator import services
from annotator.models import Membership

from .test_annotate_page import log_in, mark, wait_version
from ..conftest import make_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_and_htmx_run_under_the_policy_without_violations(page, live_server, project, fake_extractor, make_user):
    make_user("ann", project=project)
    make_user("boss", role=Membership.Role.MANAGER, project=project)
    make_document(project)
    services.predict_documents(project)
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.on("response", lambda response: None)

    log_in(page, live_server, "ann")
    response = page.goto(f"{live_server.url}/p/news/next/")
    assert "script-src 'self'" in response.headers.get("content-security-policy", "") or page.wait_for_selector("#doc-text")
    page.wait_for_selector("#doc-text mark.span")
    # The editor's module script and htmx both work: a label change goes to the server and back.
    mark(page, "Syria").click()
    page.keyboard.press("2")
    wait_version(page, 2)
    assert "LOCATION" in mark(page, "Syria").inner_text()
    # The Swagger page (its start-up script is a file, not inline).
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info")
    assert violations == []
