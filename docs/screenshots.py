"""Take the README's screenshots from a fresh demo, light and dark, with Debian's Chromium.

    .venv/bin/python docs/screenshots.py [--out docs] [--port 8731]

Why a script: screenshots go stale with every change of a page; this makes them again in one command
from the same demo a new user gets (`load_demo`), in a throw-away database, so they never show
someone's private data.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
PASSWORD = "screenshots-only"

# (file name, path under the demo project, what to wait for)
PAGES = [
    ("screenshot", "d/{first}/", "mark.span"),
    ("review", "review/{first}/", "main"),
    ("documents", "documents/", "main"),
    ("evaluation", "evaluation/", "main"),
    ("progress", "progress/", "main"),
    ("gold", "d/{first}/gold/", "main"),
]


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer within {seconds} s")


def shoot(base: str, out: Path, first: int) -> list[Path]:
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme=scheme)
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit], input[type=submit]")
            page.wait_for_load_state("networkidle")
            for name, path, ready in PAGES:
                response = page.goto(f"{base}/p/news/{path.format(first=first)}")
                if response is None or response.status != 200:
                    print(f"skipped {name}: HTTP {response.status if response else '?'}", file=sys.stderr)
                    continue
                start = page.locator("form[action$='/start/'] button")
                if name == "screenshot" and start.count():
                    start.first.click()  # viewing is not claiming: start an annotation to show the editor
                    page.wait_for_load_state("networkidle")
                page.wait_for_selector(ready)
                target = out / (f"{name}.png" if scheme == "light" else f"{name}-dark.png")
                page.screenshot(path=str(target))
                written.append(target)
            context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--port", type=int, default=8731)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "ANNOTATOR_VAR_DIR": var, "ADMIN_PASSWORD": PASSWORD}
        env.pop("DATABASE_URL", None)
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo")
        manage(env, "ensure_admin")
        first = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from annotator.models import Document; print(Document.objects.order_by('order','id').first().pk)"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{options.port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{options.port}"
            wait_until_up(f"{base}/accounts/login/")
            for path in shoot(base, Path(options.out), int(first)):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
