import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from annotator import extraction
from annotator.formats import FormatError, jsonl
from annotator.services.training import load_trained


class Command(BaseCommand):
    help = "Run the extractor on canonical JSONL texts and write its spans as canonical JSONL (no database)."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, help="Canonical JSONL with at least id and text.")
        parser.add_argument("--output", required=True, help="Where to write the predictions.")
        parser.add_argument(
            "--model",
            help="spaCy pipeline name or path, or a trained version (read from the database) (default: settings.EXTRACTOR_MODEL).",
        )
        parser.add_argument("--batch-size", type=int, default=16)

    def handle(self, *args, **options):
        extractor = self.trained(options["model"]) or extraction.load_extractor(options["model"] or settings.EXTRACTOR_MODEL)
        for warning in extractor.warnings:
            self.stderr.write(self.style.WARNING(warning))
        source = Path(options["input"])
        try:
            with source.open(encoding="utf-8", newline="") as handle:
                records = list(jsonl.load(handle, name=source.stem))
        except FormatError as error:
            raise CommandError(str(error.at(str(source)))) from None
        except OSError as error:
            raise CommandError(f"{source}: {error.strerror}") from None
        output = Path(options["output"])
        with output.open("w", encoding="utf-8") as out:
            spans_of = extractor.predict((r.text for r in records), batch_size=options["batch_size"])
            for record, spans in zip(records, spans_of):
                meta = dict(record.meta, model=extractor.version)
                line = {"id": record.id, "text": record.text, "spans": spans, "meta": meta}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.stderr.write(f"wrote {len(records)} documents to {output} ({extractor.version})")

    def trained(self, model):
        """A trained version named `model`, read from the database; None for a pipeline name or path (no database)."""
        if not model or Path(model).exists() or not model.startswith("trained-"):
            return None
        extractor = load_trained(model)
        if extractor is None:
            raise CommandError(f"no trained version {model!r} in the database")
        return extractor
