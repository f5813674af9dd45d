"""The labelling loop in a real browser: fix, delete, add, reload, submit, export."""

import json

import pytest
from django.core.management import call_command

from annotator import services
from annotator.models import Annotation

from ..conftest import ARTICLE, make_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def mark(page, text):
    return page.locator("#doc-text mark.span", has_text=text).first


def select_with_mouse(page, text):
    """Drag the mouse across the first occurrence of `text` in the document."""
    box = page.evaluate(
        """(needle) => {
            const box = document.getElementById('doc-text');
            const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode;
                const at = node.data.indexOf(needle);
                if (at === -1 || node.parentElement.closest('mark')) continue;
                const range = document.createRange();
                range.setStart(node, at); range.setEnd(node, at + needle.length);
                const rects = range.getClientRects();
                const first = rects[0], last = rects[rects.length - 1];
                return {x1: first.left + 1, y: first.top + first.height / 2, x2: last.right - 1};
            }
            return null;
        }""",
        text,
    )
    assert box, f"{text!r} not found outside spans"
    page.mouse.move(box["x1"], box["y"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y"], steps=5)
    page.mouse.up()


def wait_version(page, version):
    page.wait_for_selector(f'#annotation[data-version="{version}"]')


def test_fix_delete_add_reload_submit_export(page, live_server, project, fake_extractor, make_user, tmp_path):
    user = make_user("ann", project=project)
    document = make_document(project)
    services.predict_documents(project)
    log_in(page, live_server, "ann")
    page.goto(f"{live_server.url}/p/news/next/")
    page.wait_for_selector("#doc-text mark.span")
    assert page.locator("#doc-text mark.span").count() == 4

    # Fix a suggested span's label: Syria was suggested as ACTOR; click it, press 2 (LOCATION).
    mark(page, "Syria").click()
    page.keyboard.press("2")
    wait_version(page, 2)
    assert "LOCATION" in mark(page, "Syria").inner_text()

    # Delete one: Raqqa.
    mark(page, "Raqqa").click()
    page.keyboard.press("Backspace")
    wait_version(page, 3)
    assert page.locator("#doc-text mark.span", has_text="Raqqa").count() == 0

    # Add one with a sloppy mouse selection ("slamic Stat") and the ACTOR hotkey: it snaps to whole words.
    select_with_mouse(page, "slamic Stat")
    page.keyboard.press("1")
    wait_version(page, 4)
    assert mark(page, "Islamic State").inner_text().startswith("Islamic State")

    # Widen it a word to the right with Shift+→ and undo that with Ctrl+Z.
    mark(page, "Islamic State").click()
    page.keyboard.press("Shift+ArrowRight")
    wait_version(page, 5)
    assert mark(page, "Islamic State fighters").count() == 1
    page.keyboard.press("Control+z")
    wait_version(page, 6)

    # The help dialog opens with ? and closes with Escape.
    page.keyboard.press("?")
    assert page.locator("#keys-dialog").is_visible()
    page.keyboard.press("Escape")

    # Reload: everything is still there, saved server-side.
    page.reload()
    page.wait_for_selector("#doc-text mark.span")
    expected = {("Iraqi forces", "ACTOR"), ("Islamic State", "ACTOR"), ("Mosul", "LOCATION"), ("Syria", "LOCATION")}
    shown = {
        (m.locator("[data-o]").inner_text(), m.locator(".tag").inner_text())
        for m in page.locator("#doc-text mark.span").all()
    }
    assert shown == expected

    # Submit with Enter: back to the project (no other document) with the doc done.
    page.locator("#doc-text").click(position={"x": 5, "y": 5})
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/p/news/")
    assert Annotation.objects.get(annotator=user, document=document).status == "submitted"

    output = tmp_path / "gold.jsonl"
    call_command("export", "--layer", "gold", "--output", str(output))
    (record,) = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert {(ARTICLE[s["start"] : s["end"]], s["label"]) for s in record["spans"]} == expected


def test_stale_tab_is_refused_with_a_message(browser, page, live_server, project, fake_extractor, make_user):
    make_user("ann", project=project)
    make_document(project)
    services.predict_documents(project)
    log_in(page, live_server, "ann")
    page.goto(f"{live_server.url}/p/news/next/")
    page.wait_for_selector("#doc-text mark.span")
    other = page.context.new_page()
    other.goto(page.url)
    mark(other, "Mosul").click()
    other.keyboard.press("Delete")
    other.wait_for_selector('#annotation[data-version="2"]')

    mark(page, "Raqqa").click()
    page.keyboard.press("Delete")
    page.wait_for_selector("#flash .flash-error")
    assert "changed elsewhere" in page.locator("#flash").inner_text()
    assert Annotation.objects.get().spans.filter(start=ARTICLE.index("Raqqa")).exists()


def test_drag_an_edge_and_keys_between_spans(page, live_server, project, fake_extractor, make_user):
    make_user("ann", project=project)
    document = make_document(project)
    services.predict_documents(project)
    log_in(page, live_server, "ann")
    page.goto(f"{live_server.url}/p/news/d/{document.pk}/")
    # Opened by id, the document is only shown: S (the Start button) claims it.
    page.wait_for_selector("#start-form")
    assert not Annotation.objects.exists()
    page.keyboard.press("s")
    page.wait_for_selector("#doc-text mark.span")
    mosul = mark(page, "Mosul")
    mosul.click()
    # Drag the end handle of "Mosul" to the middle of "City": the span snaps to "Mosul's Old City".
    end_handle = mosul.locator(".handle[data-edge=end]")
    end_handle.wait_for(state="visible")  # the handles are drawn once the click has selected the span
    handle = end_handle.bounding_box()
    target = page.evaluate(
        """() => {
            const node = [...document.querySelectorAll('#doc-text [data-o]')].find(n => n.textContent.includes('Old City'));
            const text = node.firstChild, at = text.data.indexOf('City') + 2;
            const range = document.createRange(); range.setStart(text, at); range.setEnd(text, at + 1);
            const r = range.getBoundingClientRect(); return {x: r.left, y: r.top + r.height / 2};
        }"""
    )
    page.mouse.move(handle["x"] + 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"], target["y"], steps=8)
    page.mouse.up()
    wait_version(page, 2)
    assert mark(page, "Mosul's Old City").count() == 1
    # → moves the selection to the next span, whose label 3 then changes.
    page.keyboard.press("ArrowRight")
    assert page.locator("#doc-text mark.span.selected").inner_text().startswith("Raqqa")
    page.keyboard.press("3")
    wait_version(page, 3)
    assert "QUANTITY" in mark(page, "Raqqa").inner_text()
