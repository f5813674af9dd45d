import json
import sys

from django.core.management.base import CommandError

from annotator.management.base import ProjectCommand
from annotator.services import training


class Command(ProjectCommand):
    help = (
        "Train an extractor version on the project's gold with spaCy's training (a config, spacy.training), "
        "score it on the dev documents beside the version suggesting now, and store it in the database."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--dev-fraction", type=float, default=0.2, help="Share of the gold documents kept for dev (default 0.2).")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the split and of the training (default 0).")
        parser.add_argument("--curve", action="store_true", help="Also train on 25, 50 and 75 %% of the training documents (learning curve).")
        parser.add_argument(
            "--promote",
            action="store_true",
            help="Use the new version for suggestions if it beats the current one on dev strict F1.",
        )
        parser.add_argument("--max-steps", type=int, help="Training steps (default: about three passes over the data).")
        parser.add_argument("--json", action="store_true", help="End with one line of JSON: version, documents, dev scores, current, curve, promoted.")

    def handle(self, *args, **options):
        project = self.project(options)
        draw = self.progress("train")
        out = self.stderr if options["json"] else self.stdout

        def echo(done, total, line):
            if line:
                if sys.stderr.isatty():
                    sys.stderr.write("\r\033[K")
                out.write(line)
            elif done is not None:
                draw(done, total)

        try:
            trained = training.train_project(
                project,
                dev_fraction=options["dev_fraction"],
                seed=options["seed"],
                curve=options["curve"],
                promote_if_better=options["promote"],
                max_steps=options["max_steps"],
                reporter_factory=lambda total: training.Reporter(total, echo=echo),
            )
        except (training.TrainingRefused, ValueError) as error:
            raise CommandError(str(error)) from None
        result = training.summary(trained)
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        dev, current = result["dev"], result["current"]
        self.stdout.write(
            f"{result['version']}: dev strict F1 {dev['micro']['f1']:.3f} "
            f"(current {result['current_version']}: {current['micro']['f1']:.3f}) on {result['dev_documents']} dev documents"
        )
        if result["promoted"]:
            self.stdout.write(f"promoted: new documents and `predict` use {result['version']}")
        elif options["promote"]:
            self.stdout.write("not promoted: it does not beat the current version on dev strict F1")
