"""Train a span model from gold with spaCy's own training machinery; pure (no Django).

What is here:

- `split_documents`: a seeded train/dev split of document keys (a document
  is never in both), and `curve_subsets`: the nested 25/50/75/100 % parts of
  the training documents for the learning curve;
- `cut_examples`: long documents cut into paragraphs (never through a span);
- `training_config`: a spaCy config that fine-tunes the pretrained
  pipeline's entity recogniser (its tok2vec and entity features) on the
  project's labels, whatever they are, or trains a fresh one on a blank
  pipeline when the pretrained one is missing;
- `train_pipeline`: `spacy.training.initialize.init_nlp` + `spacy.training.loop.train`
  with a progress logger, returning the best checkpoint on dev;
- `assemble`: the trained recogniser combined with the rules (default
  labels) or alone (any other label set), writing doc.spans["extractor"]
  like the rule extractor; `pack`/`unpack`/`load_packed`: the pipeline as
  bytes (a gzipped tar of its folder) that any process can load;
- `curve_verdict`: whether the last step of the curve still gained.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, SpanGroup
from spacy.training.initialize import init_nlp
from spacy.training.loop import train as spacy_train

from . import pipeline as extractor_pipeline
from .config import TrainingSettings, base_available, training_config
from .labels import LABELS, NER_NAME_MAP, QUANTITY
from .quantities import DATE_ENTS, NEVER_COUNT_ENTS

TRAINED_NAME = "trained"
TRAINED_COMPONENT = "trained_ner"
TRAINED_SPANS = "trained"
CURVE_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
# How the trained recogniser meets the rules. "model_only": it alone (any label set).
# "rules_with_trained_ner": it takes the pretrained recogniser's place in the rule extractor (the
# resolver reads its spans after the rule sources, as it read the pretrained entities), so the
# pipeline costs what the rule extractor costs.
MODEL_ONLY = "model_only"
RULES_WITH_TRAINED = "rules_with_trained_ner"
MERGES = (RULES_WITH_TRAINED, MODEL_ONLY)
# Entity types of the pretrained recogniser that the rules read (quantities.py: dates, times,
# percentages, money and ordinals are no counts). When the trained recogniser replaces the
# pretrained one it must still find them: the pretrained recogniser's own spans of these types
# (where no gold span is) are kept in the training data ("pseudo-rehearsal").
SILVER_TYPES = tuple(sorted(NEVER_COUNT_ENTS | DATE_ENTS))
# A paragraph longer than this many characters is cut further at sentence ends.
MAX_CHUNK_CHARS = 2000


class Cancelled(Exception):
    """Raised by a progress callback to stop a training between two steps."""


# ---------------------------------------------------------------- data


def _rank(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def split_documents(keys: Iterable[str], dev_fraction: float = 0.2, seed: int = 0) -> tuple[list[str], list[str]]:
    """Split document keys (e.g. content hashes) into train and dev by a seeded hash of each key.

    A key is dev when its hash, read as a number in [0, 1), is below the dev
    fraction: its side depends only on itself and the seed, so nothing moves
    when documents are added (dev stays dev as the gold grows). With two or
    more keys each side gets at least one (the lowest or highest hash).
    Both lists come in hash order.
    """
    if not 0 < dev_fraction < 1:
        raise ValueError("the dev fraction must be between 0 and 1")
    keys = sorted(set(keys), key=lambda k: _rank(k, seed))
    if len(keys) < 2:
        return keys, []
    dev = [k for k in keys if int(_rank(k, seed)[:15], 16) / 16**15 < dev_fraction]
    if not dev:
        dev = keys[:1]
    elif len(dev) == len(keys):
        dev = keys[:-1]
    chosen = set(dev)
    return [k for k in keys if k not in chosen], dev


def curve_subsets(train: list[str], seed: int = 0, fractions=CURVE_FRACTIONS) -> list[list[str]]:
    """Nested parts of the training documents (each contains the smaller ones), one per fraction."""
    order = sorted(train, key=lambda k: _rank(k, seed + 1))
    return [order[: max(1, round(len(order) * f))] for f in fractions]


def _cuts(text: str) -> list[int]:
    """Candidate cut points: after each blank line or newline, then sentence ends in long stretches."""
    cuts = []
    i = text.find("\n")
    while i != -1:
        j = i
        while j < len(text) and text[j].isspace():
            j += 1
        cuts.append(j)
        i = text.find("\n", j)
    return cuts


def cut_examples(text: str, spans: list[dict], max_chars: int = MAX_CHUNK_CHARS) -> list[tuple[str, list[dict]]]:
    """Cut a document into paragraphs (at newlines), never inside a span; offsets shift with each part.

    A paragraph longer than `max_chars` is cut again after ". " where no
    span is. Parts with only white space are dropped.
    """
    inside = [False] * (len(text) + 1)
    for span in spans:
        for k in range(span["start"] + 1, span["end"]):
            inside[k] = True
    points = [c for c in _cuts(text) if 0 < c < len(text) and not inside[c]]
    bounds = [0, *points, len(text)]
    parts = []
    for a, b in pairwise(bounds):
        if b - a > max_chars:
            sub = [a]
            for k in range(a, b - 1):
                if text[k] == "." and text[k + 1] == " " and k + 2 - sub[-1] >= max_chars // 2 and not inside[k + 2]:
                    sub.append(k + 2)
            parts.extend(zip(sub, [*sub[1:], b]))
        else:
            parts.append((a, b))
    examples = []
    for a, b in parts:
        chunk = text[a:b]
        if not chunk.strip():
            continue
        inner = [
            {"start": s["start"] - a, "end": s["end"] - a, "label": s["label"]}
            for s in spans
            if s["start"] >= a and s["end"] <= b
        ]
        examples.append((chunk, inner))
    return examples


@dataclass
class Converted:
    docs: list[Doc]
    spans: int = 0
    dropped: list[str] = field(default_factory=list)  # spans that do not fall on token edges even when widened


def to_docs(nlp: Language, records: Iterable[tuple[str, str, list[dict]]], cut: bool = True) -> Converted:
    """Turn (key, text, spans) records into Docs with the spans as entities, cut into paragraphs when `cut`."""
    out = Converted([])
    for key, text, spans in records:
        parts = cut_examples(text, spans) if cut else [(text, spans)]
        for chunk, chunk_spans in parts:
            doc = nlp.make_doc(chunk)
            ents = []
            for span in sorted(chunk_spans, key=lambda s: (s["start"], s["end"])):
                ent = doc.char_span(span["start"], span["end"], label=span["label"], alignment_mode="expand")
                if ent is None or (ents and ent.start < ents[-1].end):
                    out.dropped.append(f"{key}: {span['label']} {chunk[span['start']:span['end']]!r}")
                    continue
                ents.append(ent)
            doc.set_ents(ents, default="outside")
            out.spans += len(ents)
            out.docs.append(doc)
    return out


def write_docbin(docs: list[Doc], path: Path) -> Path:
    DocBin(docs=docs, store_user_data=False).to_disk(path)
    return path


def add_silver(records: list[tuple[str, str, list[dict]]], base_model: str, types=SILVER_TYPES, batch_size: int = 32):
    """The records with the pretrained recogniser's spans of `types` added where no gold span overlaps.

    Returns (records, labels added). Only the recogniser of the pretrained
    pipeline runs (it has its own tok2vec).
    """
    keep = set(types)
    nlp = _recogniser_only(base_model)
    out, seen = [], set()
    for (key, text, spans), doc in zip(records, nlp.pipe((t for _, t, _ in records), batch_size=batch_size)):
        taken = [False] * (len(text) + 1)
        for span in spans:
            for k in range(span["start"], span["end"]):
                taken[k] = True
        silver = [
            {"start": e.start_char, "end": e.end_char, "label": e.label_}
            for e in doc.ents
            if e.label_ in keep and not any(taken[e.start_char : e.end_char])
        ]
        seen.update(s["label"] for s in silver)
        out.append((key, text, sorted(spans + silver, key=lambda s: (s["start"], s["end"]))))
    return out, sorted(seen)


def _recogniser_only(base_model: str) -> Language:
    return spacy.load(base_model, enable=["ner"])


# ---------------------------------------------------------------- training

# The progress logger reads its callback from here (spaCy builds loggers from the config registry).
_progress = threading.local()


@spacy.registry.loggers("annotator.progress_logger.v1")
def progress_logger():
    """A spaCy training logger that hands each step (and each evaluation) to the running training's callback."""

    def setup(nlp, stdout=None, stderr=None):
        state = {"step": 0}

        def log_step(info):
            state["step"] += 1
            callback = getattr(_progress, "callback", None)
            if callback is not None:
                callback(state["step"], info)

        def finalize():
            pass

        return log_step, finalize

    return setup


@dataclass
class Trained:
    nlp: Language  # the trained recogniser alone (pipeline ["ner"])
    config: str
    best_score: float
    steps: int
    log: list[str]
    spans: int
    dropped: list[str]
    train_examples: int
    dev_examples: int


def _training_data(settings: TrainingSettings, train_records: list, dev_records: list) -> tuple[Converted, Converted, list[str], list[str]]:
    """The records as spaCy Docs (with the pretrained recogniser's silver spans when asked), and the first log lines."""
    extra: list[str] = []
    if settings.silver and settings.from_pretrained:
        train_records, extra = add_silver(train_records, settings.base_model)
        dev_records, more = add_silver(dev_records, settings.base_model)
        extra = sorted(set(extra) | set(more))
    blank = spacy.blank("en")
    train = to_docs(blank, train_records)
    dev = to_docs(blank, dev_records or train_records)
    log: list[str] = [
        (
            f"{len(train_records)} training documents ({len(train.docs)} paragraphs, {train.spans} spans), "
            f"{len(dev_records)} dev documents ({len(dev.docs)} paragraphs, {dev.spans} spans)"
        )
    ]
    if extra:
        log.append(f"the pretrained recogniser's {', '.join(extra)} spans are kept in the data (the rules read them)")
    if train.dropped or dev.dropped:
        log.append(f"{len(train.dropped) + len(dev.dropped)} spans not on token edges were left out")
    return train, dev, extra, log


def train_pipeline(
    settings: TrainingSettings,
    train_records: list[tuple[str, str, list[dict]]],
    dev_records: list[tuple[str, str, list[dict]]],
    *,
    progress: Callable[[int, int, str | None], None] | None = None,
) -> Trained:
    """Train a recogniser on (key, text, spans) records and return the best checkpoint on dev.

    `progress(step, max_steps, line)` is called after every step (`line` is
    set at the evaluations); it may raise Cancelled to stop the training.
    """
    if not train_records:
        raise ValueError("no training documents")
    if settings.from_pretrained and not base_available(settings.base_model):
        settings.from_pretrained = False
    train, dev, extra, log = _training_data(settings, train_records, dev_records)
    with tempfile.TemporaryDirectory(prefix="annotator-train-") as folder:
        folder = Path(folder)
        config = training_config(settings, write_docbin(train.docs, folder / "train.spacy"), write_docbin(dev.docs, folder / "dev.spacy"))
        nlp = init_nlp(config)
        ner = nlp.get_pipe("ner")
        for label in [*settings.labels, *extra]:
            ner.add_label(label)  # a sourced recogniser keeps its own labels; ours are added (the output layer grows)
        last = {"step": 0}

        def step(number, info):
            last["step"] = number
            line = None
            if info is not None:
                scores = info.get("other_scores", {})
                line = (
                    f"step {info['step']} epoch {info['epoch']}: loss {info['losses'].get('ner', 0.0):.1f}, "
                    f"dev entity F1 {100 * (scores.get('ents_f') or 0.0):.1f}"
                )
                log.append(line)
            if progress is not None:
                progress(number, settings.max_steps, line)

        _progress.callback = step
        (folder / "out").mkdir()
        try:
            quiet = io.StringIO()
            spacy_train(nlp, folder / "out", stdout=quiet, stderr=quiet)
        finally:
            _progress.callback = None
        best_path = folder / "out" / "model-best"
        if not best_path.exists():
            best_path = folder / "out" / "model-last"
        best = spacy.load(best_path)
        score = float(best.meta.get("performance", {}).get("ents_f") or 0.0)
    log.append(f"best dev entity F1 {100 * score:.1f} after {last['step']} steps")
    return Trained(
        nlp=best,
        config=training_config(settings).to_str(),  # without the scratch paths: part of the version's hash
        best_score=score,
        steps=last["step"],
        log=log,
        spans=train.spans,
        dropped=train.dropped + dev.dropped,
        train_examples=len(train.docs),
        dev_examples=len(dev.docs),
    )


# ---------------------------------------------------------------- the extractor made of it


@Language.factory("ents_to_spans", default_config={"spans_key": TRAINED_SPANS, "labels": []})
def make_ents_to_spans(nlp, name, spans_key, labels):  # no annotations: spaCy validates them (postponed ones fail)
    """Move the trained recogniser's entities (of `labels`) to doc.spans[spans_key] and clear doc.ents.

    So the pretrained recogniser that runs next starts from nothing (a
    recogniser keeps entities already set) and the resolver reads the
    trained spans as one of its sources.
    """
    keep = set(labels)

    def move(doc: Doc) -> Doc:
        spans = [e for e in doc.ents if not keep or e.label_ in keep]
        doc.spans[spans_key] = SpanGroup(doc, name=spans_key, spans=spans)
        doc.set_ents([], default="missing")
        return doc

    return move


def uses_rules(labels: Iterable[str]) -> bool:
    """Whether the rules know every label of the set (the default scheme): then they are combined."""
    return set(labels) <= set(LABELS) and bool(set(labels))


def assemble(trained: Language, labels: list[str], merge: str, base_model: str | None = None) -> Language:
    """The trained recogniser as an extractor pipeline writing doc.spans["extractor"].

    MODEL_ONLY: tokenizer, the trained recogniser, a resolver that only
    keeps its spans of `labels` (any label set). RULES_WITH_TRAINED: the rule
    extractor on the pretrained pipeline with the trained recogniser in
    the pretrained one's place; the resolver takes its spans of `labels`
    (but QUANTITY, the quantity rules' own) after the rule sources, where it
    took the mapped pretrained entities.
    """
    if merge == MODEL_ONLY:
        nlp = spacy.blank("en")
        nlp.add_pipe("ner", name=TRAINED_COMPONENT, source=trained)
        nlp.add_pipe("ents_to_spans", config={"labels": list(labels)})
        nlp.add_pipe(
            extractor_pipeline.RESOLVER,
            config={
                "sources": [TRAINED_SPANS],
                "ner_labels": {},
                "furniture_key": "",
                "tidy": False,
                "propagate": False,
                "scores": {TRAINED_SPANS: 0.8, "default": 0.5},
            },
        )
        return nlp
    if merge != RULES_WITH_TRAINED:
        raise ValueError(f"unknown merge {merge!r}")
    nlp = extractor_pipeline.build_extractor(base_model).nlp
    if "ner" in nlp.pipe_names:
        after = nlp.pipe_names[nlp.pipe_names.index("ner") + 1]
        nlp.remove_pipe("ner")
    else:  # a blank base: no pretrained recogniser to replace
        after = nlp.pipe_names[0]
    nlp.add_pipe("ner", source=trained, before=after)
    # Numbers stay the quantity rules' (as with the pretrained recogniser: it measured better on the blind set).
    ner_labels = {**NER_NAME_MAP, **{label: label for label in labels if label != QUANTITY}}
    nlp.replace_pipe(extractor_pipeline.RESOLVER, extractor_pipeline.RESOLVER, config={"ner_labels": ner_labels})
    return nlp


def pipeline_version(payload: dict) -> str:
    """`trained-<hash>` of the config, the training data, the base and the merge."""
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    return f"{TRAINED_NAME}-{digest[:12]}"


def pack(nlp: Language) -> bytes:
    """The pipeline's folder as a gzipped tar, for the database."""
    with tempfile.TemporaryDirectory(prefix="annotator-pack-") as folder:
        nlp.to_disk(Path(folder) / "pipeline")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
            tar.add(Path(folder) / "pipeline", arcname="pipeline")
        return buffer.getvalue()


def unpack(data: bytes, folder: Path) -> Path:
    """Unpack packed bytes into `folder` (once: an existing complete folder is reused) and return the pipeline path."""
    target = folder / "pipeline"
    if (folder / ".complete").exists() and target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".unpack-", dir=folder))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(scratch, filter="data")
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    (scratch / "pipeline").rename(target)
    shutil.rmtree(scratch, ignore_errors=True)
    (folder / ".complete").write_text("ok")
    return target


def load_packed(data: bytes, folder: Path, *, version: str, base_model: str) -> extractor_pipeline.Extractor:
    """An Extractor from packed bytes (unpacked under `folder`)."""
    nlp = spacy.load(unpack(data, folder))
    return extractor_pipeline.Extractor(nlp=nlp, name=TRAINED_NAME, version=version, base_model=base_model)


def as_extractor(nlp: Language, version: str, base_model: str) -> extractor_pipeline.Extractor:
    return extractor_pipeline.Extractor(nlp=nlp, name=TRAINED_NAME, version=version, base_model=base_model)


# ---------------------------------------------------------------- uncertainty (active learning)


def uncertainties(trained: Language, texts: Iterable[str], beam_width: int = 4, batch_size: int = 16):
    """Yield, per text, how unsure the trained recogniser is: 1 - |2p - 1| of its least decided entity.

    p is an entity's probability under the recogniser's beam (the summed
    probability of the parses in a beam of `beam_width` that contain it,
    spaCy's `scored_ents`): 0 when every candidate is sure (p near 0 or 1),
    1 when one is a coin toss. Texts without candidates get 0.
    """
    ner = trained.get_pipe("ner" if "ner" in trained.pipe_names else TRAINED_COMPONENT)
    batch: list[Doc] = []

    def flush():
        for scores in ner.scored_ents(ner.beam_parse(batch, beam_width=beam_width)):
            yield max((1.0 - abs(2.0 * p - 1.0) for p in scores.values()), default=0.0)

    for text in texts:
        batch.append(trained.make_doc(text))  # a fresh doc: a recogniser keeps entities already set
        if len(batch) >= batch_size:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


# ---------------------------------------------------------------- the curve


def curve_verdict(points: list[dict], threshold: float = 0.01) -> dict:
    """Whether the last step of the curve gained more than `threshold` of dev F1 ("more gold still helps")."""
    if len(points) < 2:
        return {"more_gold_helps": None, "last_gain": None, "text": "Too few points for a verdict."}
    gain = points[-1]["f1"] - points[-2]["f1"]
    helps = gain > threshold
    text = (
        f"More gold still helps: the last {points[-1]['documents'] - points[-2]['documents']} documents "
        f"gained {100 * gain:.1f} points of dev F1."
        if helps
        else f"The curve has flattened: the last step changed dev F1 by {100 * gain:+.1f} points."
    )
    return {"more_gold_helps": helps, "last_gain": round(gain, 4), "text": text}
