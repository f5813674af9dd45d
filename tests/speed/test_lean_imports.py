"""A web process and the management commands start without spaCy (about a second and 60 MB each).

Each check runs in a fresh interpreter: this test process has long imported spaCy.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = sorted(p.stem for p in (ROOT / "annotator/management/commands").glob("*.py") if not p.stem.startswith("_"))

# Whether spaCy's code ran: its package may be registered as a lazy module (annotator/lazy.py), but
# none of its submodules or its thinc back end is imported until it is used.
PROBE = """
import sys
loaded = sorted(name for name in ("thinc", "spacy.tokens", "spacy.language") if name in sys.modules)
print("LOADED", *loaded)
"""


def run(code: str, tmp_path) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "annotator.settings", "ANNOTATOR_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code + PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_the_web_process_imports_no_spacy(tmp_path):
    code = "import django; django.setup()\nimport annotator.urls, annotator.wsgi\n"
    assert run(code, tmp_path) == "LOADED"


@pytest.mark.parametrize("command", COMMANDS)
def test_loading_a_command_imports_no_spacy(command, tmp_path):
    code = (
        "import django; django.setup()\n"
        "from django.core.management import load_command_class\n"
        f"load_command_class('annotator', {command!r}).create_parser('manage.py', {command!r})\n"
    )
    assert run(code, tmp_path) == "LOADED"


def test_the_extractor_still_loads_spacy_when_used(tmp_path):
    code = "from annotator.extraction import token_offsets\nassert token_offsets('Hello world.') == [(0, 5), (6, 11), (11, 12)]\n"
    assert "spacy.tokens" in run(code, tmp_path).split()
