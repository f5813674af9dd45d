"""Plain set arithmetic the scoring core (schemes.py) is checked against: the strict and unlabelled figures.

What annotator/evaluation/spans.py computed before schemes.py became the one
scoring core: kept here as an independent oracle.
"""


def _entry(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def strict(gold, pred) -> dict:
    """{"micro", "per_label"} of (doc_id, label, start, end) spans matched by equality."""
    gold, pred = {tuple(s) for s in gold}, {tuple(s) for s in pred}
    per_label = {}
    for label in sorted({s[1] for s in gold} | {s[1] for s in pred}):
        g = {s for s in gold if s[1] == label}
        p = {s for s in pred if s[1] == label}
        tp = len(g & p)
        per_label[label] = _entry(tp, len(p) - tp, len(g) - tp)
    tp = len(gold & pred)
    return {"micro": _entry(tp, len(pred) - tp, len(gold) - tp), "per_label": per_label}


def unlabelled(gold, pred) -> dict:
    """Micro figures of (doc_id, start, end) alone."""
    g = {(s[0], s[2], s[3]) for s in gold}
    p = {(s[0], s[2], s[3]) for s in pred}
    tp = len(g & p)
    return _entry(tp, len(p) - tp, len(g) - tp)
