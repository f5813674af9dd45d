"""Two annotators disagree in the browser; a reviewer settles it with keys; the gold has the choice."""

import json

import pytest
from django.core.management import call_command

from annotator import services
from annotator.models import Document

from ..conftest import ARTICLE, make_document
from .test_annotate_page import log_in, mark, select_with_mouse, wait_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def annotate_as(page, live_server, username, actions):
    log_in(page, live_server, username)
    page.goto(f"{live_server.url}/p/news/next/")
    page.wait_for_selector("#doc-text mark.span")
    actions(page)
    page.locator("#doc-text").click(position={"x": 5, "y": 5})
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/p/news/")
    page.context.clear_cookies()


def test_reviewer_settles_with_keys(browser, live_server, project, fake_extractor, make_user, tmp_path):
    project.annotators_per_document = 2
    project.save()
    make_document(project)
    services.predict_documents(project)
    make_user("alice", project=project)
    make_user("bob", project=project)
    make_user("rita", role="reviewer", project=project)

    def alice(page):  # Syria is a LOCATION; adds Islamic State
        mark(page, "Syria").click()
        page.keyboard.press("2")
        wait_version(page, 2)
        select_with_mouse(page, "Islamic State")
        page.keyboard.press("1")
        wait_version(page, 3)

    def bob(page):  # leaves Syria an ACTOR; deletes Raqqa
        mark(page, "Raqqa").click()
        page.keyboard.press("Backspace")
        wait_version(page, 2)

    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    annotate_as(page, live_server, "alice", alice)
    annotate_as(page, live_server, "bob", bob)

    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/p/news/review/next/")
    page.wait_for_selector("#conflicts li.focused")
    assert page.locator("#conflicts li[data-conflict]").count() == 3  # Islamic State, Raqqa, Syria
    assert page.locator("#open-count").inner_text() == "3"
    # a = alice, b = bob; focus moves on to the next open disagreement after each key.
    # Islamic State: take alice's; Raqqa: neither; Syria: take bob's (ACTOR).
    version = int(page.locator("#annotation").get_attribute("data-version"))
    for key in ("a", "n", "b"):
        page.keyboard.press(key)
        version += 1
        wait_version(page, version)
    assert page.locator("#open-count").inner_text() == "0"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/p/news/review/")
    context.close()

    document = Document.objects.get()
    assert document.gold_by.username == "rita"
    output = tmp_path / "gold.jsonl"
    call_command("export", "--layer", "gold", "--output", str(output))
    (record,) = [json.loads(line) for line in output.read_text().splitlines()]
    gold = {(ARTICLE[s["start"] : s["end"]], s["label"]) for s in record["spans"]}
    assert gold == {("Iraqi forces", "ACTOR"), ("Mosul", "LOCATION"), ("Islamic State", "ACTOR"), ("Syria", "ACTOR")}
