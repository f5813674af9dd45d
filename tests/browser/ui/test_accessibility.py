"""axe-core (vendored, static/vendor/axe-core) on every page, signed in as each role, light and dark:
no serious or critical violation."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from annotator import services
from annotator.models import Membership

from ...conftest import ARTICLE, make_document
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR, "static", "vendor", "axe-core", "axe.min.js").read_text(encoding="utf-8")


def violations(page):
    """Serious and critical axe-core violations of the page as it stands, as readable lines."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
                .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\\n').slice(0, 2).join(' ')).join(' | ')}`);
        }"""
    )
    return found


@pytest.fixture
def world(project, fake_extractor, make_user):
    """A project with documents in every state a page shows: annotated, submitted, reviewed, gold, a score."""
    manager = make_user("boss", role=Membership.Role.MANAGER, project=project)
    reviewer = make_user("rita", role=Membership.Role.REVIEWER, project=project)
    annotator = make_user("ann", role=Membership.Role.ANNOTATOR, project=project)
    first = make_document(project, order=1)
    second = make_document(project, text=ARTICLE.replace("Mosul", "Tikrit"), order=2)
    services.predict_documents(project)
    annotation = services.claim_document(first, annotator)
    services.submit(annotation, annotator, version=annotation.version)
    services.claim_document(second, annotator)
    return {"manager": manager, "reviewer": reviewer, "annotator": annotator, "first": first, "second": second}


def pages_for(role, world):
    first, second = world["first"].pk, world["second"].pk
    pages = [
        reverse("project_list"),
        reverse("project_detail", args=["news"]),
        reverse("annotate", args=["news", second]),
        reverse("task_list", args=["news"]),
        "/no-such-page/",
    ]
    if role in ("manager", "reviewer"):
        pages += [
            reverse("annotate", args=["news", first]),  # read-only (not their document)
            reverse("review_queue", args=["news"]),
            reverse("review", args=["news", first]),
            reverse("dashboard", args=["news"]),
            reverse("agreement", args=["news"]),
            reverse("evaluation", args=["news"]),
            reverse("training", args=["news"]),
        ]
    else:
        pages += [reverse("dashboard", args=["news"])]  # a 403 page
    if role == "manager":
        pages += [reverse("project_settings", args=["news"]), reverse("export", args=["news"])]
    return pages


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("role", ["manager", "reviewer", "annotator"])
def test_no_serious_violation_on_any_page(page, live_server, world, role, scheme):
    page.emulate_media(color_scheme=scheme)
    log_in(page, live_server, world[role].username)
    failures = {}
    for path in pages_for(role, world):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        found = violations(page)
        if found:
            failures[path] = found
    assert not failures, "\n".join(f"{path}: {found}" for path, found in failures.items())


def test_the_login_page_and_the_keys_dialog(page, live_server, world):
    page.goto(f"{live_server.url}/accounts/login/")
    assert violations(page) == []
    log_in(page, live_server, "ann")
    page.goto(live_server.url + reverse("annotate", args=["news", world["second"].pk]))
    page.keyboard.press("?")
    page.wait_for_selector("#keys-dialog[open]")
    assert violations(page) == []
