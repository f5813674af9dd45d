"""A throw-away Django set-up for the benchmarks: SQLite in a temporary folder, migrated."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_django(folder: str) -> None:
    """Point the settings at `folder` (a fresh SQLite database there), set Django up and migrate."""
    os.environ["ANNOTATOR_VAR_DIR"] = folder
    os.environ.pop("DATABASE_URL", None)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
