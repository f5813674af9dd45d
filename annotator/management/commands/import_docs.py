from pathlib import Path

from django.core.management.base import CommandError

from annotator import services
from annotator.formats import IMPORT_FORMATS, FormatError
from annotator.formats.overlaps import POLICIES
from annotator.formats.units import UNITS
from annotator.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "Import documents from files in any supported format; spans in a file go to the layer named. "
        "A file is stored whole or not at all, unless --skip-invalid."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files (brat: a folder, a .zip or an .ann file).")
        parser.add_argument("--format", default="auto", choices=["auto", *IMPORT_FORMATS])
        self.add_layer_arguments(
            parser,
            model_help="Model version for predictions that name none (--layer model); Label Studio's model_version wins.",
            annotator_help="Username whose annotation the spans become (--layer annotations).",
        )
        parser.add_argument("--predict", action="store_true", help="Run the extractor on the imported documents.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Store the valid records of a file and list the invalid ones in a report (default: PATH.skipped.txt).",
        )
        parser.add_argument("--report", help="Where --skip-invalid writes what it skipped (one file for all PATHs).")
        parser.add_argument(
            "--offsets",
            choices=UNITS,
            help="doccano, Label Studio: the unit of offsets whose span carries no text (spans with text tell their own). "
            "Default: what the tool's editor writes (doccano: utf16; Label Studio: codepoint).",
        )
        parser.add_argument(
            "--overlaps",
            choices=POLICIES,
            help="doccano, Label Studio: what to do with overlapping or nested spans (default: refuse, naming the span).",
        )
        parser.add_argument(
            "--empty-is-gold",
            action="store_true",
            help="An explicit annotation with no span (Label Studio result [], doccano \"label\": []) becomes an empty "
            "gold revision; without it such records import their text only.",
        )

    def handle(self, *args, **options):
        project = self.project(options)
        for path in options["paths"]:
            report = Path(options["report"] or f"{path}.skipped.txt")
            problems = []
            try:
                result = services.import_file(
                    project,
                    path,
                    fmt=options["format"],
                    layer=options["layer"],
                    model=options["model"],
                    annotator=options["annotator"],
                    skip_invalid=options["skip_invalid"],
                    on_invalid=lambda error: problems.append(str(error)) if len(problems) < 100_000 else None,
                    progress=self._bytes(f"import {Path(path).name}"),
                    offsets=options["offsets"],
                    overlaps=options["overlaps"],
                    empty_is_gold=options["empty_is_gold"],
                )
            except FormatError as error:
                raise CommandError(f"{error}\nNothing from {path} was stored.") from None
            self.stdout.write(f"{path}: {result}")
            if options["skip_invalid"] and (result.invalid or result.invalid_spans):
                mode = "a" if options["report"] and path != options["paths"][0] else "w"
                with report.open(mode, encoding="utf-8") as handle:
                    handle.writelines(f"{line}\n" for line in problems)
                    skipped = result.invalid + result.invalid_spans
                    if skipped > len(problems):
                        handle.write(f"... and {skipped - len(problems)} more\n")
                self.stderr.write(
                    f"{result.invalid} invalid records and {result.invalid_spans} invalid spans of {path} were skipped; see {report}"
                )
        if options["predict"]:
            version, done = services.predict_documents(project, progress=self.progress("predict"))
            self.stdout.write(f"predicted {done} documents with {version.version}")

    def _bytes(self, label: str):
        """A progress callback over bytes read, drawn in MB."""
        draw = self.progress(f"{label} (MB)")
        return lambda done, total: draw(done >> 20, total >> 20) if total >= 1 << 20 else None
