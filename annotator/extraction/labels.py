"""The project's labels and how the pretrained entity types map onto them."""

ACTOR = "ACTOR"
LOCATION = "LOCATION"
QUANTITY = "QUANTITY"
LABELS = (ACTOR, LOCATION, QUANTITY)

# A rule span with this label claims its tokens for nobody: news agencies,
# broadcasters and the like, which the pretrained model calls ORG.
IGNORE = "IGNORE"

# Entity types of the OntoNotes-trained pipelines and the project label each
# becomes. NORP ("Iraqi", "Kurds") is never a span by LABELS.md.
NER_LABEL_MAP = {
    "ORG": ACTOR,
    "PERSON": ACTOR,
    "GPE": LOCATION,
    "LOC": LOCATION,
    "FAC": LOCATION,
    "CARDINAL": QUANTITY,
    "QUANTITY": QUANTITY,
}

# With the rules on, numbers come from the quantity component, which knows
# where a count ends; the model's CARDINAL spans would only add half-spans.
NER_NAME_MAP = {k: v for k, v in NER_LABEL_MAP.items() if v != QUANTITY}

# The key of doc.spans that predict() reads.
SPANS_KEY = "extractor"
