from django.conf import settings

from annotator import services
from annotator.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "Create the demo project (labels, the seed articles and six blind articles, their gold) and "
        "pre-annotate it. Idempotent."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-predict", action="store_true", help="Do not run the extractor.")

    def handle(self, *args, **options):
        project = services.ensure_project(options["project"], name="Conflict news (demo)")
        if not project.description:
            project.description = (
                "Eleven conflict news articles with hand-made gold. The extractor's rules were written "
                "looking at the five seed articles (meta set=rules: in-sample, they score near 1.0); "
                "the six others (set=blind) were never seen by the rules: their score is the honest one."
            )
            project.save(update_fields=["description"])
        fixtures = settings.FIXTURES_DIR
        for path in sorted((fixtures / "seeds").glob("*.txt")):
            services.import_file(project, path, fmt="txt")
        for path in sorted((fixtures / "gold").glob("*.jsonl")):
            services.import_file(project, path, fmt="jsonl", layer="gold")
        # Articles the rules never saw: without them the demo's evaluation would only show 1.000.
        for path in sorted((fixtures / "blind").glob("*.jsonl")):
            services.import_file(project, path, fmt="jsonl", layer="gold")
        self.stdout.write(f"project {project.slug!r}: {project.documents.count()} documents")
        if not options["no_predict"]:
            version, done = services.predict_documents(project, progress=self.progress("predict"))
            for warning in version.warnings:
                self.stderr.write(self.style.WARNING(warning))
            self.stdout.write(f"{done} documents newly predicted with {version.version}")
