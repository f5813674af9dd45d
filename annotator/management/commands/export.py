import sys

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from annotator import services
from annotator.formats import EXPORT_FORMATS
from annotator.formats.units import UNITS
from annotator.management.base import ProjectCommand
from annotator.services import gold


class Command(ProjectCommand):
    help = "Write a layer (gold, model predictions or annotations) of the project in a format NLP tools read."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--format", default="jsonl", choices=EXPORT_FORMATS)
        self.add_layer_arguments(
            parser,
            model_help="Extractor version (--layer model; default the latest).",
            annotator_help="Only this user's annotations (--layer annotations).",
        )
        parser.add_argument(
            "--output",
            required=True,
            help="File to write ('-' for standard output); brat writes a folder, or a .zip if the name ends in .zip.",
        )
        parser.add_argument(
            "--split",
            type=float,
            metavar="DEV_FRACTION",
            help="Write a folder with train and dev parts, DEV_FRACTION of the documents in dev (e.g. 0.2).",
        )
        parser.add_argument("--seed", type=int, default=0, help="Seed of the train/dev split (default: %(default)s).")
        parser.add_argument(
            "--offsets",
            choices=UNITS,
            help="doccano, Label Studio: the unit offsets are counted in (default: what the tool's editor reads; "
            "doccano: utf16, Label Studio: codepoint; grapheme for doccano's grapheme mode).",
        )
        parser.add_argument(
            "--as-of",
            metavar="ISO-8601-TIME",
            help="--layer gold: the gold as it stood at that time (e.g. 2026-12-01T14:30:00Z; no offset: server time).",
        )

    def handle(self, *args, **options):
        project = self.project(options)
        annotator = None
        if options["annotator"]:
            annotator = get_user_model().objects.filter(username=options["annotator"]).first()
            if annotator is None:
                raise CommandError(f"no user named {options['annotator']!r}")
        if options["split"] is not None and not 0 < options["split"] < 1:
            raise CommandError("--split is the dev fraction, between 0 and 1 (e.g. 0.2)")
        if options["split"] is not None and options["output"] == "-":
            raise CommandError("--split writes a folder: give --output a folder name")
        shown = []

        def problem(message: str) -> None:
            if len(shown) < 20:
                self.stderr.write(f"{options['output']}: {message}")
            shown.append(1)

        as_of = None
        if options.get("as_of"):
            try:
                as_of = gold.parse_as_of(options["as_of"])
            except gold.GoldRefused as error:
                raise CommandError(f"--as-of: {error}") from None
        output = sys.stdout.buffer if options["output"] == "-" else options["output"]
        try:
            result = services.export_layer(
                project,
                fmt=options["format"],
                layer=options["layer"],
                model=options["model"],
                annotator=annotator,
                output=output,
                split=options["split"],
                seed=options["seed"],
                progress=self.progress(f"export {options['layer']}"),
                on_problem=problem,
                as_of=as_of,
                offsets=options["offsets"],
            )
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from None
        if len(shown) > 20:
            self.stderr.write(f"... and {len(shown) - 20} more spans this format cannot hold")
        self.stderr.write(f"{result} ({options['layer']})")
