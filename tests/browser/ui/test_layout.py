"""Dark mode (system setting and toggle), small screens (labels in the first screen), the project
navigation with the current page marked, and screenshots for a look (in /tmp/annotator-ui/)."""

import os

import pytest
from django.urls import reverse

from annotator import services
from annotator.models import Membership

from ...conftest import ARTICLE, make_document
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("UI_SCREENSHOTS", "/tmp/annotator-ui")
LONG = "\n\n".join([ARTICLE] * 25)


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


def background(page, selector="body"):
    return page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).backgroundColor")


def luminance(rgb: str) -> float:
    parts = [int(p) for p in rgb[rgb.index("(") + 1 : rgb.index(")")].replace(",", " ").split()[:3]]
    return sum(parts) / (3 * 255)


@pytest.fixture
def own_document(project, make_user, fake_extractor):
    user = make_user("ann", project=project)
    document = make_document(project, text=LONG)
    services.predict_documents(project)
    services.claim_document(document, user)
    return document


def test_dark_mode_follows_the_system_and_the_toggle(page, live_server, own_document):
    page.emulate_media(color_scheme="dark")
    log_in(page, live_server, "ann")
    url = live_server.url + reverse("annotate", args=["news", own_document.pk])
    page.goto(url)
    assert luminance(background(page, "html")) < 0.2
    assert luminance(background(page, "#doc-text")) < 0.2
    shot(page, "annotate-dark")
    # The toggle: dark → light, kept across pages.
    page.click("#theme-toggle")
    assert "dark" in page.inner_text("#theme-toggle")
    page.click("#theme-toggle")
    assert "light" in page.inner_text("#theme-toggle")
    page.goto(url)
    assert luminance(background(page, "html")) > 0.8
    shot(page, "annotate-light-forced")


@pytest.mark.parametrize("width,height", [(360, 740), (820, 1180)])
def test_small_screens_keep_the_labels_in_the_first_screen(browser, live_server, own_document, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        log_in(page, live_server, "ann")
        page.goto(live_server.url + reverse("annotate", args=["news", own_document.pk]))
        labels = page.locator(".label-button").first
        box = labels.bounding_box()
        assert box["y"] + box["height"] <= height, box
        submit = page.locator("button:has-text('Submit')").bounding_box()
        assert submit["y"] + submit["height"] <= height, submit
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        shot(page, f"annotate-{width}")
        # Scrolled deep into the text, the labels are still on screen (the bar sticks to the top).
        page.evaluate("window.scrollTo(0, 3000)")
        assert page.evaluate("window.scrollY") > 2000
        box = labels.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= height, box
        shot(page, f"annotate-{width}-scrolled")
    finally:
        context.close()


def test_one_navigation_with_the_current_page_marked(page, live_server, project, make_user):
    make_user("boss", role=Membership.Role.MANAGER, project=project)
    make_user("ann", role=Membership.Role.ANNOTATOR, project=project)
    log_in(page, live_server, "boss")
    entries = ["Documents", "Review", "Progress", "Agreement", "Evaluation", "Training", "Import and export", "Tasks", "Settings"]
    for name, current in [("project_detail", "Documents"), ("evaluation", "Evaluation"), ("export", "Import and export"),
                          ("task_list", "Tasks"), ("project_settings", "Settings"), ("agreement", "Agreement"),
                          ("dashboard", "Progress"), ("review_queue", "Review"), ("training", "Training")]:
        page.goto(live_server.url + reverse(name, args=["news"]))
        nav = page.locator("nav.project-nav")
        assert nav.count() == 1, name
        assert nav.locator("li a").all_inner_texts() == entries, name
        assert nav.locator("a[aria-current=page]").inner_text() == current, name
    shot(page, "training-nav")
    page.context.clear_cookies()
    log_in(page, live_server, "ann")
    page.goto(live_server.url + reverse("project_detail", args=["news"]))
    assert page.locator("nav.project-nav li a").all_inner_texts() == ["Documents", "Tasks"]


def test_screenshots_of_the_other_pages(page, live_server, project, make_user, fake_extractor):
    """Not an assertion of looks: pictures to look at (and a check that each page renders)."""
    make_user("boss", role=Membership.Role.MANAGER, project=project)
    make_document(project)
    services.predict_documents(project)
    log_in(page, live_server, "boss")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for name in ("project_detail", "project_settings", "export", "evaluation", "dashboard"):
            response = page.goto(live_server.url + reverse(name, args=["news"]))
            assert response.status == 200, name
            os.makedirs(SHOTS, exist_ok=True)
            page.screenshot(path=os.path.join(SHOTS, f"{name}-{scheme}.png"), full_page=True)
        response = page.goto(live_server.url + "/no-such-page/")
        assert response.status == 404
        shot(page, f"404-{scheme}")
