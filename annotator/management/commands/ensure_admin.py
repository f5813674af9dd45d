import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotator.models import Membership, Project


class Command(BaseCommand):
    help = "Create the admin user if missing, with ADMIN_PASSWORD or a random password printed once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("ADMIN_USERNAME", "admin"))

    def handle(self, *args, **options):
        User = get_user_model()
        username = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            try:  # the same password rules as every other password (settings.AUTH_PASSWORD_VALIDATORS)
                validate_password(password, User(username=username))
            except ValidationError as error:
                raise CommandError("ADMIN_PASSWORD is refused: " + " ".join(error.messages)) from None
            user = User.objects.create_superuser(username=username, email="", password=password)
            shown = "(from ADMIN_PASSWORD)" if os.environ.get("ADMIN_PASSWORD") else password
            self.stdout.write(
                self.style.SUCCESS(f"Created user {username!r} with password: {shown}\nIt is shown only this once.")
            )
        else:
            self.stdout.write(
                f"User {username!r} exists (its password was printed when it was created; "
                f"`python manage.py changepassword {username}` sets a new one)."
            )
        for project in Project.objects.exclude(memberships__user=user):
            Membership.objects.create(project=project, user=user, role=Membership.Role.MANAGER)
