"""`manage.py rebuild_summaries [--project SLUG]`: recompute the document summaries from the base tables."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from annotator.db import summaries
from annotator.models import Project


class Command(BaseCommand):
    help = (
        "Install the summary triggers again and recompute every document's summary and metadata rows from the "
        "documents and annotations (all projects, or one). The triggers keep them right; this puts them right "
        "after a restore, a manual edit of the tables, or a migration that dropped the triggers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", help="Only this project's documents (its slug).")

    def handle(self, *args, **options):
        project_id = None
        if options["project"]:
            project = Project.objects.filter(slug=options["project"]).first()
            if project is None:
                raise CommandError(f"No project {options['project']!r}.")
            project_id = project.pk
        started = time.perf_counter()
        with transaction.atomic():
            summaries.install(connection)
            rows = summaries.rebuild(connection, project_id)
        self.stdout.write(f"Rebuilt {rows} document summaries in {time.perf_counter() - started:.1f} s.")
