from django.apps import AppConfig


class AnnotatorConfig(AppConfig):
    name = "annotator"
    verbose_name = "Annotator"

    def ready(self):
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from .accounts import retire_tokens_on_password_change
        from .formats import limits

        # A password change retires the user's API tokens.
        pre_save.connect(retire_tokens_on_password_change, sender=get_user_model(), dispatch_uid="retire-tokens")
        # The pure readers in formats/ take their limits (document size, nesting, archives) from settings.
        limits.configure(settings)
