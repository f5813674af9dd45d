from django.core.management.base import CommandError

from annotator import services
from annotator.formats import FormatError
from annotator.management.base import ProjectCommand


class Command(ProjectCommand):
    help = "Import documents (plain text or canonical JSONL); spans in a file go to the layer named."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--format", default="auto", choices=["auto", "txt", "jsonl"])
        parser.add_argument("--layer", default="gold", choices=["gold", "model", "annotations"])
        parser.add_argument("--model", help="Model name the spans are stored under (--layer model).")
        parser.add_argument("--annotator", help="Username whose annotation the spans become (--layer annotations).")
        parser.add_argument("--predict", action="store_true", help="Run the extractor on the imported documents.")

    def handle(self, *args, **options):
        project = self.project(options)
        for path in options["paths"]:
            try:
                result = services.import_file(
                    project,
                    path,
                    fmt=options["format"],
                    layer=options["layer"],
                    model=options["model"],
                    annotator=options["annotator"],
                )
            except FormatError as error:
                raise CommandError(f"{error}\nNothing from {path} was stored.") from None
            self.stdout.write(f"{path}: {result}")
        if options["predict"]:
            version, done = services.predict_documents(project, progress=self.progress("predict"))
            self.stdout.write(f"predicted {done} documents with {version.version}")
