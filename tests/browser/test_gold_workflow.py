"""The two wipes of issue 10, replayed in the browser, now keep the gold; the gold page's history, diff and restore."""

import pytest

from annotator import services
from annotator.spans import Span as Item
from annotator.models import Annotation, GoldRevision
from annotator.services import gold

from ..conftest import ARTICLE, make_document
from .test_annotate_page import log_in, wait_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOSUL, RAQQA, SYRIA = (ARTICLE.index(w) for w in ("Mosul", "Raqqa", "Syria"))
GOLD = [Item(MOSUL, MOSUL + 5, "LOCATION"), Item(RAQQA, RAQQA + 5, "LOCATION"), Item(SYRIA, SYRIA + 5, "LOCATION")]


@pytest.fixture
def with_gold(project):
    document = make_document(project)
    gold.record(document, GOLD, how=gold.How.IMPORT)
    return document


def test_enter_on_a_review_opened_before_any_submission_keeps_the_gold(page, live_server, project, with_gold, make_user):
    make_user("rita", role="reviewer", project=project)
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/p/news/review/{with_gold.pk}/")
    page.wait_for_selector("#doc-text mark.span")
    assert page.locator("#doc-text mark.span").count() == 3  # the copy starts from the gold
    assert "no change" in page.locator("#review-changes").inner_text()
    page.locator("#doc-text").click(position={"x": 5, "y": 5})
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/p/news/review/")
    assert gold.current_items(with_gold) == GOLD and GoldRevision.objects.count() == 1


def test_a_review_frozen_before_submissions_is_rebuilt_not_accepted(
    page, live_server, project, with_gold, make_user, fake_extractor
):
    project.annotators_per_document = 2
    project.save()
    make_user("rita", role="reviewer", project=project)
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/p/news/review/{with_gold.pk}/")  # the early, frozen copy
    page.wait_for_selector("#doc-text mark.span")
    services.predict_documents(project)  # the annotators start from the fake extractor's spans
    for name in ("alice", "bob"):
        user = make_user(name, project=project)
        annotation = services.claim_document(with_gold, user)
        services.submit(annotation, user, version=annotation.version)
    page.reload()
    page.wait_for_selector("#stale-banner")
    page.locator("#doc-text").click(position={"x": 5, "y": 5})
    page.keyboard.press("Enter")  # refused: the copy is stale
    page.wait_for_selector("#flash .flash-error")
    assert "rebuild" in page.locator("#flash").inner_text()
    assert gold.current_items(with_gold) == GOLD
    version = int(page.locator("#annotation").get_attribute("data-version"))
    page.keyboard.press("Shift+B")
    version += 1
    wait_version(page, version)
    assert page.locator("#stale-banner").count() == 0
    # The gold and the annotators disagree (the annotators call Syria an ACTOR): take the gold everywhere.
    assert "a alice, b bob, c current gold" in page.locator(".review-summary").inner_text()
    letter = "c"
    open_count = int(page.locator("#open-count").inner_text())
    for _ in range(open_count):
        version += 1
        page.keyboard.press(letter)
        wait_version(page, version)
    assert page.locator("#open-count").inner_text() == "0"
    assert "no change" in page.locator("#review-changes").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/p/news/review/")
    assert gold.current_items(with_gold) == GOLD and GoldRevision.objects.count() == 1


def test_gold_page_history_diff_and_restore(page, live_server, project, with_gold, make_user):
    rita = make_user("rita", role="reviewer", project=project)
    gold.record(with_gold, GOLD[:1], how=gold.How.REVIEW, user=rita)
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/p/news/documents/")
    page.get_by_label(f"Gold of {with_gold}").click()
    page.wait_for_selector("#gold-history")
    assert page.locator("#gold-history tbody tr").count() == 2
    assert "From revision 1 to 2: 2 removed" in page.locator("#gold-diff").inner_text()
    assert page.locator("#doc-text mark.span").count() == 1
    page.locator("#gold-history tbody tr").nth(1).get_by_role("button", name="Restore").click()
    page.wait_for_selector(".messages")
    assert "restored as revision 3" in page.locator(".messages").inner_text()
    assert page.locator("#doc-text mark.span").count() == 3
    assert gold.current_items(with_gold) == GOLD and [r.number for r in gold.history(with_gold)] == [3, 2, 1]


def test_reopen_asks_and_undo_gives_the_submission_back(page, live_server, project, make_user, fake_extractor):
    make_user("ann", project=project)
    document = make_document(project)
    services.predict_documents(project)
    log_in(page, live_server, "ann")
    page.goto(f"{live_server.url}/p/news/next/")
    page.wait_for_selector("#doc-text mark.span")
    page.locator("#doc-text").click(position={"x": 5, "y": 5})
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/p/news/")
    page.goto(f"{live_server.url}/p/news/d/{document.pk}/")
    page.wait_for_selector("#submitted-banner")
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Delete")  # nothing selected: nothing happens
    page.locator("#doc-text").click(position={"x": 5, "y": 5})
    page.keyboard.press("r")
    wait_version(page, 3)
    assert page.locator("#submitted-banner").count() == 0
    assert Annotation.objects.get().status == "draft"
    page.keyboard.press("Control+z")
    wait_version(page, 4)
    page.wait_for_selector("#submitted-banner")
    assert Annotation.objects.get().status == "submitted"
