"""`manage.py prepare`: make the folders and the secret key file the settings point at.

Settings only describe (importing them writes nothing); this is the step
that creates, run on purpose first by `make run` and `make serve`. Safe to
run again: what exists is kept, so a key made once keeps signing sessions.
"""

import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create VAR_DIR, STATIC_ROOT and (without SECRET_KEY in the environment) the secret key file."

    def handle(self, *args, **options):
        for folder in (settings.VAR_DIR, settings.STATIC_ROOT):
            folder.mkdir(parents=True, exist_ok=True)
        path = settings.SECRET_KEY_FILE
        if os.environ.get("SECRET_KEY") or path.exists():
            return
        # Created owner-only before the key is written, so it is never readable by others.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        self.stdout.write(f"Made a secret key in {path}.")
