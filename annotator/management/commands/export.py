from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from annotator import selectors
from annotator.formats import FORMATS
from annotator.management.base import ProjectCommand


class Command(ProjectCommand):
    help = "Write a layer (gold, model predictions or annotations) of the project to a file."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--format", default="jsonl", choices=["jsonl"])
        parser.add_argument("--layer", default="gold", choices=["gold", "model", "annotations"])
        parser.add_argument("--model", help="Extractor version (--layer model; default the latest).")
        parser.add_argument("--annotator", help="Only this user's annotations (--layer annotations).")
        parser.add_argument("--output", required=True, help="File to write ('-' for standard output).")

    def handle(self, *args, **options):
        project = self.project(options)
        annotator = None
        if options["annotator"]:
            annotator = get_user_model().objects.filter(username=options["annotator"]).first()
            if annotator is None:
                raise CommandError(f"no user named {options['annotator']!r}")
        records = selectors.layer_records(project, options["layer"], model=options["model"], annotator=annotator)
        writer = FORMATS[options["format"]]
        count = 0
        try:
            if options["output"] == "-":
                for line in writer.dump(records):
                    self.stdout.write(line, ending="")
                    count += 1
            else:
                path = Path(options["output"])
                partial = path.with_name(path.name + ".partial")
                with partial.open("w", encoding="utf-8", newline="") as handle:
                    for line in writer.dump(records):
                        handle.write(line)
                        count += 1
                partial.replace(path)  # a reader never sees half a file
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(f"wrote {count} documents ({options['layer']}) to {options['output']}")
