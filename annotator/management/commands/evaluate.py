"""Score the extractor against gold: a readable table, or every number as JSON.

With --gold FILE --predictions FILE (canonical JSONL) no database is touched;
otherwise an extractor version of the project (default the latest) is scored
against the project's gold and the run is stored for the evaluation page.
"""

import json

from django.core.management.base import CommandError

from annotator import scoring, selectors
from annotator.evaluation.matching import KINDS
from annotator.evaluation.schemes import SCHEMES, Evaluation, evaluate_records
from annotator.formats import FormatError, jsonl
from annotator.management.base import ProjectCommand


def _read(path: str, layer: str):
    try:
        with open(path, encoding="utf-8") as lines:
            return list(jsonl.load(lines, name=path, layer=layer))
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from None
    except FormatError as error:
        raise CommandError(str(error.at(path) if not error.path else error)) from None


class Command(ProjectCommand):
    help = "Score the extractor against gold (strict, exact, partial, type, unlabelled; per label; confusion)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--gold", metavar="FILE", help="Gold as canonical JSONL (with --predictions: no database).")
        parser.add_argument("--predictions", metavar="FILE", help="Predictions as canonical JSONL.")
        parser.add_argument("--model", metavar="NAME", help="Extractor version to score (default: the latest).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object with every number.")

    def handle(self, *args, **options):
        if bool(options["gold"]) != bool(options["predictions"]):
            raise CommandError("give both --gold and --predictions, or neither (then the project's gold is used)")
        if options["gold"]:
            if options["model"]:
                raise CommandError("--model scores the project's predictions; it does not go with files")
            result, header = self._from_files(options["gold"], options["predictions"])
        else:
            result, header = self._from_database(options)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(header)
            self.stdout.write(table(result))

    def _from_files(self, gold_path: str, predictions_path: str):
        gold = _read(gold_path, "gold")
        predictions = _read(predictions_path, "model")
        texts = {}
        for record in gold:
            texts[record.id] = record.text
        for record in predictions:
            if record.id in texts and texts[record.id] != record.text:
                raise CommandError(
                    f"{predictions_path}:{record.line}: document {record.id!r} has another text than in {gold_path}"
                )
        evaluation: Evaluation = evaluate_records(gold, predictions)
        result = evaluation.as_dict()
        predicted = len({r.id for r in predictions} & set(texts))
        result["predicted_documents"] = predicted
        header = f"{gold_path}: {result['documents']} gold documents; {predictions_path} predicts {predicted} of them.\n"
        return result, header

    def _from_database(self, options):
        project = self.project(options)
        if options["model"]:
            extractor = scoring.version_named(options["model"], project)
            if extractor is None:
                raise CommandError(f"no extractor version {options['model']!r}")
        else:
            extractor = selectors.latest_extractor(project)
            if extractor is None:
                raise CommandError(f"no predictions in project {project.slug!r}: run `manage.py predict` first")
        scored = scoring.score(project, extractor)
        result = {"extractor": extractor.version, **scored.results, "gold_fingerprint": scored.gold.fingerprint}
        gold = scored.gold
        header = (
            f"Extractor {extractor.version} against the gold of {project.slug}: "
            f"{len(gold.documents)} of {gold.total_documents} documents have gold and are scored"
        )
        if scored.unpredicted_documents:
            header += f"; {scored.unpredicted_documents} of them have no predictions (counted as all missed)"
        return result, header + ".\n"


def _number(x) -> str:
    return f"{x:.3f}"


def table(result: dict) -> str:
    """The scores as plain-text tables."""
    schemes = result["schemes"]
    lines = [
        f"{result['spans']['gold']} gold and {result['spans']['predicted']} predicted spans.",
        "",
        f"{'scheme':<11}{'P':>7}{'R':>7}{'F1':>7}  counts (micro)",
    ]
    for name in SCHEMES:
        micro = schemes[name]["micro"]
        if "cor" in micro:
            counts = " ".join(f"{k.upper()} {micro[k]}" for k in ("cor", "inc", "par", "mis", "spu"))
        else:
            counts = " ".join(f"{k.upper()} {micro[k]}" for k in ("tp", "fp", "fn"))
        lines.append(f"{name:<11}{_number(micro['precision']):>7}{_number(micro['recall']):>7}{_number(micro['f1']):>7}  {counts}")
    labels = result["labels"]
    width = max([len(label) for label in labels] + [9])
    lines += ["", "Per label (strict; partial F1 beside it):", f"{'label':<{width}}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>6}{'FN':>6}{'partial':>9}"]
    for label in labels:
        e = schemes["strict"]["per_label"][label]
        partial = schemes["partial"]["per_label"][label]["f1"]
        lines.append(
            f"{label:<{width}}{_number(e['precision']):>7}{_number(e['recall']):>7}{_number(e['f1']):>7}"
            f"{e['tp']:>6}{e['fp']:>6}{e['fn']:>6}{_number(partial):>9}"
        )
    macro = schemes["strict"]["macro"]
    lines.append(f"{'macro':<{width}}{_number(macro['precision']):>7}{_number(macro['recall']):>7}{_number(macro['f1']):>7}")
    confusion = result["confusion"]
    names = confusion["labels"] + ["(none)"]
    cell = max([len(n) for n in names] + [6]) + 1
    lines += ["", "Confusion (rows gold, columns predicted; (none): missed or spurious; boundary: same label, other extent):"]
    lines.append(f"{'':<{cell}}" + "".join(f"{n:>{cell}}" for n in names) + f"{'boundary':>{cell + 3}}")
    for i, name in enumerate(names):
        row = "".join(f"{n:>{cell}}" for n in confusion["matrix"][i])
        boundary = f"{confusion['boundary'][i]:>{cell + 3}}" if i < len(confusion["boundary"]) else ""
        lines.append(f"{name:<{cell}}{row}{boundary}")
    kinds = result["kinds"]
    lines += ["", "Outcomes: " + ", ".join(f"{kind.replace('_', ' and ')} {kinds[kind]}" for kind in KINDS)]
    return "\n".join(lines) + "\n"
