"""The app's config: on start, the password-change signal and the pure readers' limits."""

from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save

from .accounts import retire_tokens_on_password_change
from .formats import limits


class AnnotatorConfig(AppConfig):
    name = "annotator"
    verbose_name = "Annotator"

    def ready(self):
        # A password change retires the user's API tokens.
        pre_save.connect(retire_tokens_on_password_change, sender=get_user_model(), dispatch_uid="retire-tokens")
        # The pure readers in formats/ take their limits (document size, nesting, archives) from settings.
        limits.configure(settings)
