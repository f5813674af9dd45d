"""Keyboard-only annotation in a real browser: make, relabel, resize (both edges, both ways), delete and
submit a span without the mouse; refusals are said in view and keep the selection; previous / next."""

import pytest
from django.urls import reverse

from annotator import services
from annotator.models import Annotation, Membership

from ...conftest import ARTICLE, make_document
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_version(page, version):
    page.wait_for_selector(f'#annotation[data-version="{version}"]')


def spans_of(annotation):
    annotation.refresh_from_db()
    text = annotation.document.text
    return sorted((text[s.start : s.end], s.label.name) for s in annotation.spans.select_related("label"))


def open_own(page, live_server, project, make_user, text=ARTICLE, predict=False):
    user = make_user("ann", project=project)
    document = make_document(project, text=text)
    if predict:
        services.predict_documents(project)
    annotation = services.claim_document(document, user)
    log_in(page, live_server, "ann")
    page.goto(live_server.url + reverse("annotate", args=["news", document.pk]))
    page.wait_for_selector("#doc-text")
    return annotation


def test_make_relabel_resize_delete_submit_without_the_mouse(page, live_server, project, make_user):
    annotation = open_own(page, live_server, project, make_user)
    v0 = annotation.version
    # Caret mode: c highlights the first word; → moves a word; Shift+→ extends.
    page.keyboard.press("c")
    assert page.evaluate("getSelection().toString()") == "U.S.-backed"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("getSelection().toString()") == "Iraqi"
    page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("getSelection().toString()") == "Iraqi forces"
    page.keyboard.press("1")  # ACTOR
    wait_version(page, v0 + 1)
    assert spans_of(annotation) == [("Iraqi forces", "ACTOR")]
    # The new span is selected and has the focus, named by its label and text.
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "ACTOR: Iraqi forces"

    # Relabel it: 2 = LOCATION (a wrong label, for the test's sake), then back to ACTOR.
    page.keyboard.press("2")
    wait_version(page, v0 + 2)
    assert spans_of(annotation) == [("Iraqi forces", "LOCATION")]
    page.keyboard.press("1")
    wait_version(page, v0 + 3)

    # Resize: Shift+Alt+← widens at the start ("U.S.-backed Iraqi forces"), Shift+Alt+→ narrows it back.
    page.keyboard.press("Shift+Alt+ArrowLeft")
    wait_version(page, v0 + 4)
    assert spans_of(annotation)[0][0].endswith("Iraqi forces") and len(spans_of(annotation)[0][0]) > len("Iraqi forces")
    page.keyboard.press("Shift+Alt+ArrowRight")
    wait_version(page, v0 + 5)
    assert spans_of(annotation) == [("Iraqi forces", "ACTOR")]
    # Shift+→ widens at the end, Shift+← narrows.
    page.keyboard.press("Shift+ArrowRight")
    wait_version(page, v0 + 6)
    assert spans_of(annotation) == [("Iraqi forces pressed", "ACTOR")]
    page.keyboard.press("Shift+ArrowLeft")
    wait_version(page, v0 + 7)
    assert spans_of(annotation) == [("Iraqi forces", "ACTOR")]

    # A second span, Raqqa, by caret mode from the selected span onwards, then delete it with Backspace.
    page.keyboard.press("c")
    for _ in range(40):
        if page.evaluate("getSelection().toString()") == "Raqqa":
            break
        page.keyboard.press("ArrowRight")
    assert page.evaluate("getSelection().toString()") == "Raqqa"
    page.keyboard.press("2")
    wait_version(page, v0 + 8)
    assert ("Raqqa", "LOCATION") in spans_of(annotation)
    page.keyboard.press("Backspace")
    wait_version(page, v0 + 9)
    assert spans_of(annotation) == [("Iraqi forces", "ACTOR")]

    # Tab reaches the span from the page: it is in the Tab order, and Tab on it selects it.
    page.keyboard.press("Escape")
    page.locator("#doc-text mark.span").first.focus()
    assert page.locator("#doc-text mark.span.selected").count() == 1

    # Submit with Enter.
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/p/news/")
    annotation.refresh_from_db()
    assert annotation.status == Annotation.Status.SUBMITTED


def test_a_refusal_is_said_in_view_and_keeps_the_selection(page, live_server, project, make_user, fake_extractor):
    # A long document: the suggested span "Raqqa" is at its very end, far below the top of the page.
    text = "\n\n".join(["Nothing happened on this quiet day in the town."] * 60) + "\n\nFighters fled toward Raqqa."
    annotation = open_own(page, live_server, project, make_user, text=text, predict=True)
    page.locator("#doc-text mark.span", has_text="Raqqa").scroll_into_view_if_needed()
    # Select "toward Raqqa" (overlapping the span) and ask for a label: the server refuses.
    page.evaluate(
        """() => {
            const box = document.getElementById('doc-text');
            const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            let last = null, raqqa = null;
            while (walker.nextNode()) {
                const node = walker.currentNode;
                if (node.data.includes('toward')) last = node;
                if (node.data === 'Raqqa') raqqa = node;
            }
            const range = document.createRange();
            range.setStart(last, last.data.indexOf('toward'));
            range.setEnd(raqqa, 5);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }"""
    )
    page.keyboard.press("1")
    message = page.locator("#flash .flash-error")
    message.wait_for()
    box = message.bounding_box()
    viewport = page.viewport_size
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], box
    assert message.get_attribute("role") == "alert"
    assert page.evaluate("getSelection().toString()").startswith("toward")
    assert len(spans_of(annotation)) == 1


def test_skip_asks_and_the_next_page_says_it(page, live_server, project, make_user):
    user = make_user("ann", project=project)
    first = make_document(project, order=1)
    make_document(project, text=ARTICLE.replace("Mosul", "Tikrit"), order=2)
    log_in(page, live_server, "ann")
    page.goto(f"{live_server.url}/p/news/next/")
    page.wait_for_selector("#doc-text")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Skip')")
    page.wait_for_selector("#flash .flash-info")
    assert "Skipped" in page.locator("#flash").inner_text()
    assert Annotation.objects.get(document=first, annotator=user).status == Annotation.Status.SKIPPED


def test_previous_and_next_document_keys(page, live_server, project, make_user):
    make_user("boss", role=Membership.Role.MANAGER, project=project)
    documents = [make_document(project, text=ARTICLE.replace("Mosul", name), order=i) for i, name in enumerate(["Mosul", "Tikrit", "Hit"])]
    log_in(page, live_server, "boss")
    page.goto(live_server.url + reverse("annotate", args=["news", documents[0].pk]))
    page.keyboard.press("]")
    page.wait_for_url(live_server.url + reverse("annotate", args=["news", documents[1].pk]))
    page.keyboard.press("]")
    page.wait_for_url(live_server.url + reverse("annotate", args=["news", documents[2].pk]))
    page.keyboard.press("]")  # the last one: stays, and says so
    page.wait_for_selector(".messages")
    assert "last document" in page.locator(".messages").inner_text()
    page.keyboard.press("[")
    page.wait_for_url(live_server.url + reverse("annotate", args=["news", documents[1].pk]))
