import json

from annotator.selectors import dashboards
from annotator.management.base import ProjectCommand

PAIR_KEYS = ("f1_strict", "f1_unlabelled", "f1_overlap", "cohen_kappa")


def _plain(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k in ("a", "b", "documents", *PAIR_KEYS, "per_label")}


class Command(ProjectCommand):
    help = "Inter-annotator agreement of the project's submitted annotations, per pair, overall and per label."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        result = dashboards.project_agreement(self.project(options))
        if options["json"]:
            out = {
                "pairs": [_plain(p) for p in result["pairs"]],
                "overall": _plain(result["overall"]),
                "krippendorff_alpha": result["krippendorff_alpha"],
                "fleiss_kappa": result["fleiss_kappa"],
                "per_label": result["per_label"],
                "documents": [
                    {"id": d["document"].external_id or d["id"], "f1_strict": d["f1_strict"], "cohen_kappa": d["cohen_kappa"]}
                    for d in result["by_document"]
                ],
            }
            self.stdout.write(json.dumps(out, indent=2))
            return
        if not result["pairs"]:
            self.stdout.write("No two annotators share a submitted document yet.")
            return
        self.stdout.write(f"{'a':>12} {'b':>12} {'docs':>5} " + " ".join(f"{k:>13}" for k in PAIR_KEYS))
        for row in [*result["pairs"], {"a": "overall", "b": "", **result["overall"]}]:
            cells = " ".join(f"{_num(row[k]):>13}" for k in PAIR_KEYS)
            self.stdout.write(f"{row['a']:>12} {row['b']:>12} {row['documents']:>5} {cells}")
        self.stdout.write(f"Krippendorff's alpha (nominal, tokens): {_num(result['krippendorff_alpha'])}")
        if result["fleiss_kappa"] is not None:
            self.stdout.write(f"Fleiss' kappa (tokens): {_num(result['fleiss_kappa'])}")


def _num(value) -> str:
    return "–" if value is None else f"{value:.4f}"
