"""What every project command shares: the --project option, the layer options and a progress line."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from annotator import services
from annotator.roles import Layer


class ProjectCommand(BaseCommand):
    """A command that acts on one project (default: the demo project "news")."""

    def add_arguments(self, parser):
        parser.add_argument(
            "--project",
            default=settings.DEFAULT_PROJECT_SLUG,
            help="Project slug (default: %(default)s); a new slug creates a project with the default labels.",
        )

    def add_layer_arguments(self, parser, *, model_help: str, annotator_help: str):
        """--layer (gold, model or annotations) and the two options that narrow it, --model and --annotator.

        The commands that move a layer in or out (import_docs, export) take
        them alike; each says in its own words what --model and --annotator
        mean for it.
        """
        parser.add_argument("--layer", default=Layer.GOLD.value, choices=Layer.values)
        parser.add_argument("--model", help=model_help)
        parser.add_argument("--annotator", help=annotator_help)

    def project(self, options):
        return services.ensure_project(options["project"])

    def progress(self, label: str):
        """Return a callback(done, total) that draws a progress bar when run by hand."""
        interactive = sys.stderr.isatty()

        def draw(done: int, total: int):
            if not interactive or not total:
                return
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

        return draw
