from django.core.management.base import BaseCommand, CommandError

from annotator.services.projects import create_project


class Command(BaseCommand):
    help = "Create a project with its own labels (hotkeys 1..9 and colours assigned)."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="Slug of the new project.")
        parser.add_argument("--labels", required=True, help="Comma-separated label names, e.g. WEAPON,PLACE,GROUP.")
        parser.add_argument("--name", help="Display name (default: the slug).")

    def handle(self, *args, **options):
        labels = [name.strip() for name in options["labels"].split(",") if name.strip()]
        try:
            project = create_project(options["project"], labels, name=options["name"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        names = ", ".join(f"{label.name} ({label.hotkey or '-'})" for label in project.labels.all())
        self.stdout.write(f"project {project.slug!r}: labels {names}")
