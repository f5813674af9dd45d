"""The hand-worked test vector of shared/EVAL_VECTOR.md."""

TEXT = "Police officers in New York City seized 3 kilograms of cocaine from the Sinaloa cartel on Monday."
LABELS = ["ACTOR", "LOCATION", "QUANTITY"]
GOLD = [("ACTOR", 0, 15), ("LOCATION", 19, 32), ("QUANTITY", 40, 51), ("ACTOR", 72, 86)]
PRED = [("ACTOR", 0, 15), ("LOCATION", 23, 32), ("ACTOR", 40, 51), ("QUANTITY", 90, 96)]


def on(doc_id, triples):
    """(doc_id, label, start, end) spans from (label, start, end) triples."""
    return [(doc_id, *t) for t in triples]
