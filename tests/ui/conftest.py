"""Browser fixtures of the UI tests (the Chromium of tests/browser/conftest.py), and helpers."""

import pytest

from ..browser.conftest import browser, page  # noqa: F401  (fixtures)

PASSWORD = "pw-for-tests-123"


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def small_page(browser):  # noqa: F811
    """A page whose viewport the test sets itself."""
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
