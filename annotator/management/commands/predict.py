from annotator import services
from annotator.management.base import ProjectCommand


class Command(ProjectCommand):
    help = "Run the extractor over the project's documents that lack its predictions."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--model", help="spaCy pipeline name or path (default: settings.EXTRACTOR_MODEL).")

    def handle(self, *args, **options):
        project = self.project(options)
        version, done = services.predict_documents(project, model=options["model"], progress=self.progress("predict"))
        for warning in version.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(f"{done} documents predicted with {version.version}")
