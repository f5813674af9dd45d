"""Pure scoring of spans: no Django (spaCy only to tokenise a text that comes without token offsets).

One scoring core:
- matching.py: the one-to-one matching of predictions to gold, and the kind of each outcome;
- schemes.py: everything `manage.py evaluate` reports (strict, the SemEval-2013 schemes, unlabelled,
  confusion), and the strict / unlabelled / overlap figures alone (the extractor bench, agreement);
- agreement.py: inter-annotator agreement (span F1, Cohen's and Fleiss' kappa, Krippendorff's alpha);
- display.py: the evaluation pages' tables.

Spans are (doc_id, label, start, end) tuples or dicts with those keys. Import the module you
need (schemes, matching, agreement, display): the package itself re-exports nothing.
"""
