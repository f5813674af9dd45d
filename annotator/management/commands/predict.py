from django.core.management.base import CommandError

from annotator import services
from annotator.jobs import runs, start
from annotator.management.base import ProjectCommand


class Command(ProjectCommand):
    help = "Run the extractor over the project's documents that lack its predictions."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--model",
            help="spaCy pipeline name or path, or a trained version string (default: the project's promoted version, "
            "else settings.EXTRACTOR_MODEL).",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="Hand the work to the task workers (`manage.py task_worker`), in chunks they share, and print the run.",
        )
        parser.add_argument(
            "--wait", action="store_true", help="With --background: follow the run with a progress bar until it is done."
        )

    def handle(self, *args, **options):
        project = self.project(options)
        if options["background"]:
            return self.background(project, options)
        version, done = services.predict_documents(project, model=options["model"], progress=self.progress("predict"))
        for warning in version.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(f"{done} documents predicted with {version.version}")

    def background(self, project, options):
        run = start.start_prediction(project, model=options["model"])
        self.stdout.write(f"Prediction run {run.pk} started for project {project.slug}; the workers do the rest.")
        if not options["wait"]:
            self.stdout.write(f"Follow it at /p/{project.slug}/tasks/{run.pk}/ or with the API at /api/projects/{project.slug}/tasks/{run.pk}/.")
            return
        try:
            run = runs.wait_for(run, progress=self.progress("predict"))
        except KeyboardInterrupt:
            self.stdout.write(f"\nStopped following; run {run.pk} goes on in the workers.")
            return
        for error in run.errors:
            self.stderr.write(self.style.ERROR(error))
        if run.status == run.Status.DONE:
            self.stdout.write(f"{run.result.get('predicted', 0)} documents predicted with {run.result.get('extractor')}")
        else:
            raise CommandError(f"prediction run {run.pk} failed")
