"""Train extractor versions on a project's gold, store them, score them on dev, promote them.

The training itself is spaCy's (annotator/extraction/training.py: a config,
`init_nlp`, `spacy.training.loop.train`); this module gathers the gold
(GoldSpan of the documents whose `gold_at` is set), splits it, runs the
training (synchronously for `manage.py train`, as a background task for
the pages), scores the new version and the version suggesting now on the
same dev documents with every scheme of the evaluation page, stores the
pipeline's bytes in the database (StoredPipeline) so any process loads it
by its version string, and promotes it (Project.suggestion_model) when
asked, or when it is better on dev strict F1 and promotion is automatic.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from ..errors import Refused
from ..evaluation.schemes import evaluate
from ..extraction import training as pure
from ..models import (
    Document,
    ExtractorVersion,
    GoldSpan,
    Project,
    StoredPipeline,
    TaskRun,
    TrainingRun,
)
from . import prediction
from .versions import load_trained, store_version, suggestion_model

logger = logging.getLogger(__name__)


class TrainingRefused(Refused):
    """A training or promotion that cannot be done as asked (too little gold, an unknown version)."""


# ---------------------------------------------------------------- the gold


@dataclass
class GoldDocument:
    id: int
    key: str  # the text's content hash: the split depends on it, not on ids
    text: str
    spans: list[dict]

    def record(self) -> tuple[str, str, list[dict]]:
        return (self.key, self.text, self.spans)


def label_names(project: Project) -> list[str]:
    return list(project.labels.order_by("order", "name").values_list("name", flat=True))


def gold_documents(project: Project) -> list[GoldDocument]:
    """The documents with gold (Document.gold_at set) and their current gold spans (two queries)."""
    documents = {
        pk: GoldDocument(pk, key, text, [])
        for pk, key, text in project.documents.filter(gold_at__isnull=False)
        .order_by("id")
        .values_list("id", "content_hash", "text")
    }
    spans = (
        GoldSpan.objects.filter(document__project=project, document__gold_at__isnull=False)
        .order_by("document_id", "start", "end")
        .values_list("document_id", "label__name", "start", "end")
    )
    for document_id, label, start, end in spans:
        documents[document_id].spans.append({"start": start, "end": end, "label": label})
    return list(documents.values())


def gold_fingerprint(documents: list[GoldDocument]) -> str:
    payload = sorted((d.key, sorted((s["start"], s["end"], s["label"]) for s in d.spans)) for d in documents)
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


# ---------------------------------------------------------------- settings


def training_settings(
    labels: list[str], *, seed: int, words: int, max_steps: int | None = None, silver: bool | None = None
) -> pure.TrainingSettings:
    """Steps scale with the training words (about three passes, 200 to TRAIN_MAX_STEPS); settings can cap them."""
    cap = int(getattr(settings, "TRAIN_MAX_STEPS", 1500))
    if max_steps is None:
        # Batches grow from 100 to 1,000 words; about 500 words a step on average over a long run.
        max_steps = max(200, min(cap, round(3 * words / 500)))
    return pure.TrainingSettings(
        labels=list(labels),
        base_model=settings.EXTRACTOR_MODEL,
        seed=seed,
        max_steps=max_steps,
        eval_frequency=max(25, min(200, max_steps // 6)),
        patience=max(200, max_steps // 2),
        # Off only for quick tests: a fresh recogniser on a blank pipeline instead of the pretrained one.
        from_pretrained=bool(getattr(settings, "TRAIN_FROM_PRETRAINED", True)),
        # With the default labels the trained recogniser replaces the pretrained one beside the rules.
        silver=pure.uses_rules(labels) if silver is None else silver,
    )


def _words(documents: list[GoldDocument]) -> int:
    return sum(len(d.text.split()) for d in documents)


# ---------------------------------------------------------------- scoring on dev


def score_on(extractor, documents: list[GoldDocument], labels: list[str]) -> dict:
    """Every scheme of an extractor's spans on `documents` against their gold (spans of other labels are left out)."""
    known = set(labels)
    gold = [(d.id, s["label"], s["start"], s["end"]) for d in documents for s in d.spans]
    pred = []
    for document, spans in zip(documents, extractor.predict([d.text for d in documents])):
        pred.extend((document.id, s["label"], s["start"], s["end"]) for s in spans if s["label"] in known)
    results = evaluate(gold, pred, labels=labels, documents=[d.id for d in documents]).as_dict()
    return json.loads(json.dumps(results))


def strict_f1(results: dict | None) -> float:
    if not results:
        return 0.0
    return float(results["schemes"]["strict"]["micro"]["f1"])


def brief(results: dict | None) -> dict | None:
    """The strict micro and per-label P/R/F1 of a scoring (the `train --json` shape)."""
    if not results:
        return None
    strict = results["schemes"]["strict"]
    keep = ("precision", "recall", "f1")
    return {
        "micro": {k: strict["micro"][k] for k in keep},
        "per_label": {label: {k: entry[k] for k in keep} for label, entry in strict["per_label"].items()},
    }


def promote(project: Project, extractor: ExtractorVersion | None, user=None) -> None:
    """Make `extractor` (a trained version; None: back to the rule extractor) the one that suggests.

    New documents and re-prediction use it from now on; the caller starts a
    background prediction run for the documents that lack its suggestions
    (jobs.start.promote does both).
    """
    if extractor is not None and not StoredPipeline.objects.filter(extractor=extractor).exists():
        raise TrainingRefused(f"{extractor.version} is not a trained version of this app")
    project.suggestion_model = extractor
    project.save(update_fields=["suggestion_model"])
    if extractor is not None:
        TrainingRun.objects.filter(project=project, extractor=extractor).update(promoted=True)
    logger.info("project %s: suggestions now from %s", project.slug, extractor.version if extractor else "the rules")


# ---------------------------------------------------------------- training


class Reporter:
    """Progress of a training: done/total steps and log lines, to `report` (a background run's record) and `echo`.

    `report(done or None, total, last log lines)` raises extraction.training.Cancelled
    when the run was cancelled (jobs.training records it so).
    """

    def __init__(self, total: int, *, report: Callable | None = None, echo: Callable | None = None):
        self.total = max(1, total)
        self.offset = 0
        self.report, self.echo = report, echo
        self.lines: list[str] = []
        self._last = 0.0
        self._sent = 0

    def line(self, text: str) -> None:
        self.lines.append(text)
        if self.echo:
            self.echo(None, None, text)
        self._send(force=True)

    def step(self, step: int, max_steps: int, line: str | None) -> None:
        if line:
            self.lines.append(line)
            if self.echo:
                self.echo(None, None, line)
        if self.echo:
            self.echo(min(self.total, self.offset + step), self.total, None)
        self._send(done=self.offset + step, force=bool(line))

    def advance(self, steps: int) -> None:
        self.offset += steps

    def alive(self) -> None:
        """Report the run alive (and see a cancel) during work between training steps."""
        self._send()

    def _send(self, done: int | None = None, force: bool = False) -> None:
        if self.report is None:
            return
        now = time.monotonic()
        if not force and now - self._last < 1.0:
            return
        self._last = now
        self.report(None if done is None else min(self.total, done), self.total, self.lines[-200:])


def _scaled_steps(base: int, fraction: float) -> int:
    return max(100, round(base * fraction))


@dataclass
class _Plan:
    """What a training works on: the gold split into train and dev, the settings, the curve's subsets."""

    labels: list[str]
    documents: list[GoldDocument]
    by_key: dict
    train_docs: list[GoldDocument]
    dev_docs: list[GoldDocument]
    dev_keys: list
    settings: pure.TrainingSettings
    subsets: list
    fractions: tuple
    total: int


def _plan(project: Project, dev_fraction: float, seed: int, curve: bool, max_steps: int | None) -> _Plan:
    labels = label_names(project)
    documents = gold_documents(project)
    if len(documents) < 2:
        raise TrainingRefused(f"training needs at least 2 documents with gold; this project has {len(documents)}")
    by_key = {d.key: d for d in documents}
    train_keys, dev_keys = pure.split_documents(list(by_key), dev_fraction, seed)
    train_docs = [by_key[k] for k in sorted(train_keys)]
    dev_docs = sorted((by_key[k] for k in dev_keys), key=lambda d: d.id)
    base_settings = training_settings(labels, seed=seed, words=_words(train_docs), max_steps=max_steps)
    subsets = pure.curve_subsets(train_keys, seed) if curve else []
    fractions = pure.CURVE_FRACTIONS[:-1] if curve else ()
    total = base_settings.max_steps + sum(_scaled_steps(base_settings.max_steps, f) for f in fractions)
    return _Plan(labels, documents, by_key, train_docs, dev_docs, dev_keys, base_settings, subsets, fractions, total)


def _best_merge(trained, plan: _Plan, reporter: Reporter) -> tuple[str, object, dict, dict, dict]:
    """Which way the trained spans meet the rules: each candidate scored on dev, the best kept.

    Returns (merge, its pipeline, its dev scores, every candidate's, the model-only scores).
    """
    labels, dev_docs = plan.labels, plan.dev_docs
    merges = list(pure.MERGES) if pure.uses_rules(labels) else [pure.MODEL_ONLY]
    candidates = {}
    for merge in merges:
        nlp = pure.assemble(trained.nlp, labels, merge, settings.EXTRACTOR_MODEL)
        scored = score_on(pure.as_extractor(nlp, "candidate", settings.EXTRACTOR_MODEL), dev_docs, labels)
        candidates[merge] = (nlp, scored)
        reporter.line(f"{merge}: dev strict F1 {100 * strict_f1(scored):.1f}")
    merge = max(merges, key=lambda m: strict_f1(candidates[m][1]))
    nlp, dev_scores = candidates[merge]
    model_only = dev_scores if merge == pure.MODEL_ONLY else score_on(
        pure.as_extractor(pure.assemble(trained.nlp, labels, pure.MODEL_ONLY), "candidate", ""), dev_docs, labels
    )
    return merge, nlp, dev_scores, candidates, model_only


def _store(trained, plan: _Plan, training: TrainingRun, merge: str, nlp, reporter: Reporter) -> tuple[str, ExtractorVersion]:
    """Name the version by everything that made it, and store it (once)."""
    version = pure.pipeline_version(
        {
            "config": trained.config,
            "train": training.gold_fingerprint,
            "split": sorted(plan.dev_keys),
            "base": [nlp.meta.get("name"), nlp.meta.get("version"), settings.EXTRACTOR_MODEL],
            "merge": merge,
            "rules": prediction.get_extractor(settings.EXTRACTOR_MODEL).version if merge != pure.MODEL_ONLY else None,
        }
    )
    extractor = store_version(version, nlp, labels=plan.labels, merge=merge, base_model=settings.EXTRACTOR_MODEL)
    reporter.line(f"stored {version} ({merge.replace('_', ' ')})")
    return version, extractor


def _curve(plan: _Plan, seed: int, curve: bool, model_only: dict, reporter: Reporter) -> tuple[list[dict], dict | None]:
    """The learning curve: a model trained on each smaller share of the training documents, scored on dev."""
    points = []
    for fraction, keys in zip(plan.fractions, plan.subsets):
        part = [plan.by_key[k] for k in sorted(keys)]
        steps = _scaled_steps(plan.settings.max_steps, fraction)
        point_settings = training_settings(plan.labels, seed=seed, words=_words(part), max_steps=steps, silver=False)
        reporter.line(f"curve: {round(100 * fraction)} % ({len(part)} documents, {steps} steps)")
        dev_records = [d.record() for d in plan.dev_docs]
        small = pure.train_pipeline(point_settings, [d.record() for d in part], dev_records, progress=reporter.step)
        reporter.advance(steps)
        scored = score_on(
            pure.as_extractor(pure.assemble(small.nlp, plan.labels, pure.MODEL_ONLY), "curve", ""), plan.dev_docs, plan.labels
        )
        points.append(_point(fraction, len(part), scored))
    if curve:
        points.append(_point(1.0, len(plan.train_docs), model_only))
    verdict = pure.curve_verdict(points) if curve else None
    if verdict:
        reporter.line(verdict["text"])
    return points, verdict


def _start(project, plan: _Plan, task, user, dev_fraction: float, seed: int, curve: bool, promote_if_better: bool) -> TrainingRun:
    return TrainingRun.objects.create(
        project=project,
        task=task,
        created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
        params={"dev_fraction": dev_fraction, "seed": seed, "curve": curve, "promote": promote_if_better, **plan.settings.as_dict()},
        labels=plan.labels,
        train_documents=len(plan.train_docs),
        dev_documents=len(plan.dev_docs),
        dev_ids=[d.id for d in plan.dev_docs],
        gold_documents=len(plan.documents),
        gold_fingerprint=gold_fingerprint(plan.documents),
    )


def _promote_if(training: TrainingRun, project: Project, extractor, version: str, user, reporter: Reporter) -> None:
    if training.results["better"]:
        promote(project, extractor, user)
        training.promoted = True
        reporter.line(f"promoted: {version} now writes the suggestions")
    else:
        reporter.line("not promoted: not better than the current version on dev strict F1")
    training.log = reporter.lines
    training.save(update_fields=["promoted", "log"])


def train_project(
    project: Project,
    *,
    dev_fraction: float = 0.2,
    seed: int = 0,
    curve: bool = False,
    promote_if_better: bool | None = None,
    max_steps: int | None = None,
    user=None,
    task: TaskRun | None = None,
    reporter_factory: Callable[[int], Reporter] | None = None,
) -> TrainingRun:
    """Train on the project's gold, store and score the version (and the curve); promote it if asked and better.

    `promote_if_better` None follows the project's `auto_promote` setting.
    """
    started = time.monotonic()
    plan = _plan(project, dev_fraction, seed, curve, max_steps)
    reporter = reporter_factory(plan.total) if reporter_factory else Reporter(plan.total)
    promote_if_better = project.auto_promote if promote_if_better is None else promote_if_better
    training = _start(project, plan, task, user, dev_fraction, seed, curve, promote_if_better)
    labels, dev_docs = plan.labels, plan.dev_docs
    try:
        reporter.line(
            f"{len(plan.documents)} gold documents: {len(plan.train_docs)} to train on, {len(dev_docs)} to evaluate on "
            f"(dev fraction {dev_fraction}, seed {seed}); labels {', '.join(labels)}"
        )
        train_records, dev_records = [d.record() for d in plan.train_docs], [d.record() for d in dev_docs]
        trained = pure.train_pipeline(plan.settings, train_records, dev_records, progress=reporter.step)
        reporter.advance(plan.settings.max_steps)
        for text in trained.log:
            if not text.startswith("step "):  # the steps were reported as they came
                reporter.line(text)
        merge, nlp, dev_scores, candidates, model_only = _best_merge(trained, plan, reporter)
        version, extractor = _store(trained, plan, training, merge, nlp, reporter)
        if project.work_order == Project.WorkOrder.UNCERTAIN:
            update_uncertainty(project, trained.nlp, reporter)
        current = prediction.get_extractor(suggestion_model(project))
        current_scores = score_on(current, dev_docs, labels)
        reporter.line(f"current {current.version}: dev strict F1 {100 * strict_f1(current_scores):.1f}")
        points, verdict = _curve(plan, seed, curve, model_only, reporter)
        training.extractor = extractor
        training.merge = merge
        training.results = {
            "version": version,
            "merge": merge,
            "dev": dev_scores,
            "model_only": model_only,
            "merges": {m: brief(s) for m, (_, s) in candidates.items()},
            "current_version": current.version,
            "current": current_scores,
            "better": strict_f1(dev_scores) > strict_f1(current_scores),
            "curve": points,
            "verdict": verdict,
            "best_step_score": trained.best_score,
            "steps": trained.steps,
            "dropped_spans": len(trained.dropped),
            "bytes": StoredPipeline.objects.filter(extractor=extractor).values_list("size", flat=True).first(),
            "seconds": round(time.monotonic() - started, 1),
        }
        training.log = reporter.lines
        training.finished_at = timezone.now()
        training.save()
        if promote_if_better:
            _promote_if(training, project, extractor, version, user, reporter)
        return training
    except BaseException as error:
        training.log = [*reporter.lines, f"stopped: {type(error).__name__}: {error}" if str(error) else "stopped"]
        training.finished_at = timezone.now()
        training.save(update_fields=["log", "finished_at"])
        raise


def update_uncertainty(project: Project, trained_nlp, reporter: Reporter | None = None, chunk: int = 500) -> int:
    """Write the trained recogniser's uncertainty (its beam, see pure.uncertainties) to the documents without gold.

    What "most uncertain first" sorts by; recomputed after each training of
    a project with that work order. Returns how many documents were scored.
    """
    started = time.monotonic()
    ids = list(project.documents.filter(gold_at__isnull=True).order_by("id").values_list("id", flat=True))
    for begin in range(0, len(ids), chunk):
        documents = list(Document.objects.filter(id__in=ids[begin : begin + chunk]).order_by("id").only("id", "text"))
        for document, value in zip(documents, pure.uncertainties(trained_nlp, [d.text for d in documents])):
            document.uncertainty = round(value, 6)
        Document.objects.bulk_update(documents, ["uncertainty"], batch_size=500)
        if reporter is not None:
            reporter.alive()
    if reporter is not None:
        reporter.line(f"uncertainty of {len(ids)} documents without gold from the trained model's beam ({time.monotonic() - started:.1f} s)")
    return len(ids)


def _point(fraction: float, documents: int, scored: dict) -> dict:
    strict = scored["schemes"]["strict"]
    return {
        "fraction": fraction,
        "documents": documents,
        "f1": strict["micro"]["f1"],
        "precision": strict["micro"]["precision"],
        "recall": strict["micro"]["recall"],
        "per_label": {label: entry["f1"] for label, entry in strict["per_label"].items()},
    }


def summary(training: TrainingRun) -> dict:
    """The `train --json` object."""
    results = training.results or {}
    return {
        "version": results.get("version"),
        "train_documents": training.train_documents,
        "dev_documents": training.dev_documents,
        "merge": training.merge,
        "dev": brief(results.get("dev")),
        "current_version": results.get("current_version"),
        "current": brief(results.get("current")),
        "curve": results.get("curve") or [],
        "verdict": results.get("verdict"),
        "promoted": training.promoted,
        "seconds": results.get("seconds"),
        "bytes": results.get("bytes"),
    }


# ---------------------------------------------------------------- retraining as people work


def _running(project: Project):
    return TaskRun.objects.filter(project=project, kind=TaskRun.Kind.TRAIN, status__in=[TaskRun.Status.QUEUED, TaskRun.Status.RUNNING])


def retrain_due(project: Project) -> bool:
    """Whether `retrain_every` new gold documents have come since the last training (and none is running)."""
    if not project.retrain_every:
        return False
    last = TrainingRun.objects.filter(project=project).order_by("-created_at", "-id").values_list("gold_documents", flat=True).first()
    gold = project.documents.filter(gold_at__isnull=False).count()
    return gold >= 2 and gold - (last or 0) >= project.retrain_every and not _running(project).exists()


__all__ = [
    "TrainingRefused",
    "gold_documents",
    "load_trained",
    "promote",
    "suggestion_model",
    "summary",
    "train_project",
]
