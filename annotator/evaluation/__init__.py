"""Pure scoring of spans: no Django (spaCy only to tokenise a text that comes without token offsets).

- spans.py: strict, overlap and unlabelled P/R/F1 (the extractor bench uses it);
- matching.py: the one-to-one matching of predictions to gold, and the kind of each outcome;
- schemes.py: everything `manage.py evaluate` reports (strict, the SemEval-2013 schemes, unlabelled, confusion);
- agreement.py: inter-annotator agreement (span F1, Cohen's and Fleiss' kappa, Krippendorff's alpha).
"""

from .schemes import Evaluation, evaluate, evaluate_records
from .spans import Counts, Span, overlap, score, spans_from_records, strict, unlabelled

__all__ = [
    "Counts",
    "Evaluation",
    "Span",
    "evaluate",
    "evaluate_records",
    "overlap",
    "score",
    "spans_from_records",
    "strict",
    "unlabelled",
]
