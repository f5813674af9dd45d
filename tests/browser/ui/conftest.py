"""Helpers of the UI tests (the browser and page fixtures come from tests/browser/conftest.py)."""


PASSWORD = "pw-for-tests-123"


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
