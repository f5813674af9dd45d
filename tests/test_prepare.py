"""Settings create nothing when read; `manage.py prepare` creates the folders and the secret key, once."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code_or_args, var_dir: Path, secret: str | None = None) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "annotator.settings", "ANNOTATOR_VAR_DIR": str(var_dir)}
    env.pop("SECRET_KEY", None)
    env.pop("DATABASE_URL", None)
    if secret:
        env["SECRET_KEY"] = secret
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else [sys.executable, *code_or_args]
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_reading_the_settings_creates_nothing(tmp_path):
    var_dir = tmp_path / "var"
    _run("import django; django.setup()\nfrom django.conf import settings\nassert settings.SECRET_KEY\n", var_dir)
    assert not var_dir.exists()


def test_prepare_makes_the_folders_and_one_private_key_that_settings_then_use(tmp_path):
    var_dir = tmp_path / "var"
    _run(["manage.py", "prepare"], var_dir)
    key_file = var_dir / "secret_key"
    assert (var_dir / "staticfiles").is_dir()
    assert key_file.stat().st_mode & 0o077 == 0
    key = key_file.read_text()
    _run(["manage.py", "prepare"], var_dir)  # again: the key is kept
    assert key_file.read_text() == key
    seen = _run("import django; django.setup()\nfrom django.conf import settings\nprint(settings.SECRET_KEY)\n", var_dir)
    assert seen.strip() == key


def test_a_secret_key_in_the_environment_needs_no_file(tmp_path):
    var_dir = tmp_path / "var"
    _run(["manage.py", "prepare"], var_dir, secret="from-the-environment")
    assert var_dir.is_dir() and not (var_dir / "secret_key").exists()


def test_the_first_connection_makes_the_sqlite_files_folder(tmp_path):
    var_dir = tmp_path / "fresh" / "var"
    _run(["manage.py", "migrate", "--noinput", "-v0"], var_dir)
    assert (var_dir / "db.sqlite3").is_file()
    assert not (var_dir / "secret_key").exists()  # only `prepare` makes that
