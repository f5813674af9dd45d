"""Deployment: HTTPS settings from the environment, a Content-Security-Policy the pages work under,
a traceback with the request id for every 500, and settings that create no log file when read."""

from __future__ import annotations

import copy
import io
import json
import logging.config
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


def _env(tmp_path, **env) -> dict:
    """The environment of a fresh process: ours, without what the test session itself set (the browser
    tests' DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly refuses) and without DATABASE_URL."""
    environment = {**os.environ, "ANNOTATOR_VAR_DIR": str(tmp_path / "var"), **env}
    for name in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"):
        environment.pop(name, None)
    return environment


def _run(code: str, tmp_path, **env) -> subprocess.CompletedProcess:
    environment = _env(tmp_path, DJANGO_SETTINGS_MODULE="annotator.settings", **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_nothing_with_https_and_debug_off(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_env(tmp_path, HTTPS="1", DEBUG="0"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
    "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'CSRF_TRUSTED_ORIGINS')}))"
)


def test_https_and_trusted_origins_come_from_the_environment(tmp_path):
    on = json.loads(_run(SHOW, tmp_path, HTTPS="1", CSRF_TRUSTED_ORIGINS="https://annotate.example.org, https://b.example.org").stdout)
    assert on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"] and on["SECURE_SSL_REDIRECT"]
    assert on["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert on["CSRF_TRUSTED_ORIGINS"] == ["https://annotate.example.org", "https://b.example.org"]
    off = json.loads(_run(SHOW, tmp_path).stdout)
    assert not off["SESSION_COOKIE_SECURE"] and not off["SECURE_SSL_REDIRECT"] and not off["SECURE_HSTS_SECONDS"]


def test_reading_the_settings_creates_no_log_folder(tmp_path):
    result = _run("import django; django.setup()", tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "var" / "log").exists()


# ---------------------------------------------------------------- Content-Security-Policy


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_templates_have_no_inline_script_the_policy_would_block():
    """Every <script> loads a file, and no element has an on...= handler or a javascript: link."""
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"{template}: inline script {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{template}: an inline event handler"
        assert "javascript:" not in html and "hx-on" not in html, template


@pytest.mark.django_db
def test_swagger_page_works_under_the_policy(client):
    html = client.get("/api/docs/").content.decode()
    tags = re.findall(r"<script\b[^>]*>", html)
    assert tags and all("src=" in tag for tag in tags)
    script = re.search(r'<script src="([^"]*\?script=)"', html)
    assert script and client.get(script.group(1)).status_code == 200


# ---------------------------------------------------------------- logging


class LogFile(type(Path())):
    stderr: io.StringIO


@pytest.fixture
def logs_to(tmp_path, settings):
    """Configure the app's LOGGING with its file under tmp_path and its stderr stream readable here."""
    config = copy.deepcopy(django_settings.LOGGING)
    assert config["handlers"]["console"]["class"] == "logging.StreamHandler" and "stream" not in config["handlers"]["console"]
    stderr = io.StringIO()  # what StreamHandler writes to sys.stderr, kept here (pytest's capture is not reliable for it)
    config["handlers"]["console"]["stream"] = stderr
    config["handlers"]["file"]["filename"] = str(tmp_path / "log" / "annotator.log")
    logging.config.dictConfig(config)
    path = LogFile(tmp_path / "log" / "annotator.log")
    path.stderr = stderr
    yield path
    logging.config.dictConfig(django_settings.LOGGING)


@pytest.mark.django_db
def test_a_500_logs_its_traceback_with_the_request_id_to_stderr_and_a_file(settings, logs_to):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.hardening.crash_urls"
    assert not logs_to.parent.exists()  # made on the first line written
    response = Client(raise_request_exception=False).get("/crash/", HTTP_X_REQUEST_ID="req-42.abc")
    assert response.status_code == 500 and response["X-Request-ID"] == "req-42.abc"
    err = logs_to.stderr.getvalue()
    assert "ERROR [req-42.abc] django.request: Internal Server Error: /crash/" in err
    assert "Traceback" in err and "RuntimeError: boom: a bug in a view" in err
    written = logs_to.read_text()
    assert "[req-42.abc]" in written and "RuntimeError: boom: a bug in a view" in written


@pytest.mark.django_db
def test_each_request_gets_an_id_and_a_forged_one_is_replaced(client):
    made = client.get("/accounts/login/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/accounts/login/")["X-Request-ID"] != made
    forged = client.get("/accounts/login/", HTTP_X_REQUEST_ID="bad id\nwith a line break")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)


def test_the_log_file_rotates(tmp_path):
    from annotator.logging import LazyRotatingFileHandler

    handler = LazyRotatingFileHandler(str(tmp_path / "deep" / "x.log"), maxBytes=200, backupCount=2)
    logger = logging.getLogger("tests.rotation")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for n in range(30):
            logger.warning("line %s of the rotation test", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["x.log", "x.log.1", "x.log.2"]
