"""Training on a project's gold: custom labels, versions, promotion, the command, background runs."""

import json

import pytest
from django.core.management import call_command

from annotator import services
from annotator.extraction import training as pure
from annotator.models import (
    ExtractorVersion,
    GoldSpan,
    Prediction,
    StoredPipeline,
    TaskRun,
    TrainingRun,
)
from annotator.jobs import start
from annotator.jobs import training as training_runs
from annotator.services import prediction, training

from .conftest import add_gold, synthetic_records

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
STEPS = 120
# The real one, before the fake_extractor fixture replaces it.
GET_EXTRACTOR = prediction.get_extractor


class Perfect:
    """A "current" extractor that predicts the gold exactly (nothing beats it)."""

    name = "perfect"
    version = "perfect-1"
    base_model = "none"
    warnings: list[str] = []

    def __init__(self, project):
        self.gold = {d.text: d.spans for d in training.gold_documents(project)}

    def predict(self, texts, batch_size=16):
        for text in texts:
            yield [dict(s, score=1.0, source="gold") for s in self.gold.get(text, [])]


@pytest.fixture
def gold_project(custom_project, quick_training, fake_extractor):
    add_gold(custom_project, synthetic_records(20, seed=1))
    return custom_project


def test_a_tiny_model_learns_custom_labels_and_is_stored_in_the_database(gold_project, settings):
    run = training.train_project(gold_project, seed=0, max_steps=STEPS)
    results = run.results
    assert run.train_documents + run.dev_documents == 20 and run.dev_documents >= 1
    assert run.merge == pure.MODEL_ONLY  # no rule knows WEAPON, PLACE, GROUP
    assert results["dev"]["schemes"]["strict"]["micro"]["f1"] > 0.6
    assert results["current"]["schemes"]["strict"]["micro"]["f1"] == 0.0  # the fake extractor knows none of them
    stored = StoredPipeline.objects.get(extractor=run.extractor)
    assert stored.size == len(bytes(stored.data)) and stored.labels == ["WEAPON", "PLACE", "GROUP"]
    assert run.extractor.version == results["version"] and run.extractor.version.startswith("trained-")
    # Loaded back from the bytes in the database (a cold cache) it predicts the project's labels.
    settings.MODEL_CACHE_DIR = settings.MODEL_CACHE_DIR.parent / "elsewhere"
    extractor = training.load_trained(run.extractor.version)
    text = "In Dunmore, the Hill Battalion fired rockets at the market."
    (spans,) = extractor.predict([text])
    assert {s["label"] for s in spans} <= {"WEAPON", "PLACE", "GROUP"}
    assert ("Dunmore", "PLACE") in {(text[s["start"] : s["end"]], s["label"]) for s in spans}, spans
    assert all(s["source"].startswith("trained") for s in spans)


@pytest.mark.slow
def test_the_version_follows_the_gold(gold_project):
    first = training.train_project(gold_project, seed=0, max_steps=40)
    again = training.train_project(gold_project, seed=0, max_steps=40)
    assert again.extractor == first.extractor  # same config, data, base: the same version
    assert StoredPipeline.objects.count() == 1
    span = GoldSpan.objects.filter(document_id__in=[d for d in gold_project.documents.values_list("id", flat=True)]).first()
    span.end -= 1
    span.save()
    changed = training.train_project(gold_project, seed=0, max_steps=40)
    assert changed.extractor != first.extractor
    other_seed = training.train_project(gold_project, seed=5, max_steps=40)
    assert other_seed.extractor not in (first.extractor, changed.extractor)


@pytest.mark.slow
def test_promotion_happens_only_when_better_on_dev(gold_project, monkeypatch):
    better = training.train_project(gold_project, seed=0, max_steps=STEPS, promote_if_better=True)
    assert better.promoted and better.results["better"]
    gold_project.refresh_from_db()
    assert gold_project.suggestion_model == better.extractor
    assert training.suggestion_model(gold_project) == better.extractor.version
    # Nothing beats a perfect current version: no promotion.
    perfect = Perfect(gold_project)
    monkeypatch.setattr(prediction, "get_extractor", lambda model=None: perfect)
    worse = training.train_project(gold_project, seed=1, max_steps=40, promote_if_better=True)
    assert not worse.promoted and not worse.results["better"]
    assert worse.results["current_version"] == "perfect-1"
    gold_project.refresh_from_db()
    assert gold_project.suggestion_model == better.extractor
    # Without the flag the project's auto_promote decides (off by default).
    assert training.train_project(gold_project, seed=2, max_steps=40).results["better"] is False


def test_new_documents_are_predicted_with_the_promoted_version(gold_project, monkeypatch):
    run = training.train_project(gold_project, seed=0, max_steps=STEPS)
    training.promote(gold_project, run.extractor)
    monkeypatch.setattr(prediction, "get_extractor", GET_EXTRACTOR)
    version, done = services.predict_documents(gold_project)
    assert version == run.extractor and done == 20
    labels = set(Prediction.objects.filter(extractor=version).values_list("spans__label__name", flat=True))
    assert labels & {"WEAPON", "PLACE", "GROUP"}
    # Back to the rules: promotion of None.
    training.promote(gold_project, None)
    assert training.suggestion_model(gold_project) is None


def test_promotion_refuses_a_version_that_was_not_trained(gold_project):
    version = ExtractorVersion.objects.create(name="news-extractor", version="news-extractor-abc")
    with pytest.raises(training.TrainingRefused):
        training.promote(gold_project, version)


def test_training_needs_two_gold_documents(custom_project, quick_training, fake_extractor):
    add_gold(custom_project, synthetic_records(1))
    with pytest.raises(training.TrainingRefused):
        training.train_project(custom_project)
    with pytest.raises(training.TrainingRefused):
        start.start_training(custom_project)


@pytest.mark.slow
def test_the_curve_trains_on_nested_parts_and_gives_a_verdict(gold_project):
    run = training.train_project(gold_project, seed=0, max_steps=80, curve=True)
    curve = run.results["curve"]
    assert [p["fraction"] for p in curve] == [0.25, 0.5, 0.75, 1.0]
    sizes = [p["documents"] for p in curve]
    assert sizes == sorted(sizes) and sizes[-1] == run.train_documents
    assert all(set(p["per_label"]) == {"WEAPON", "PLACE", "GROUP"} for p in curve)
    assert run.results["verdict"]["more_gold_helps"] == (curve[-1]["f1"] - curve[-2]["f1"] > 0.01)


def test_train_command_prints_the_json_summary_last(gold_project, capsys):
    call_command("train", "--project", "weapons", "--seed", "0", "--max-steps", "40", "--json", "--promote")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert set(result) >= {"version", "train_documents", "dev_documents", "dev", "current", "curve", "promoted"}
    assert set(result["dev"]["micro"]) == {"precision", "recall", "f1"}
    assert set(result["dev"]["per_label"]) == {"WEAPON", "PLACE", "GROUP"}
    assert result["promoted"] == (result["dev"]["micro"]["f1"] > result["current"]["micro"]["f1"])
    assert ExtractorVersion.objects.filter(version=result["version"]).exists()


def test_a_background_training_runs_and_reports(gold_project, settings, manager):
    settings.TASKS = IMMEDIATE
    run = start.start_training(gold_project, manager, seed=0)
    run.refresh_from_db()
    assert run.status == TaskRun.Status.DONE, run.errors
    assert run.kind == TaskRun.Kind.TRAIN and run.done == run.total > 0
    assert run.result["version"] == TrainingRun.objects.get(task=run).extractor.version
    assert any("dev" in line for line in run.result["log"])


def test_a_training_can_be_cancelled_before_and_while_it_runs(gold_project, settings, monkeypatch):
    settings.TASKS = DUMMY
    queued = start.start_training(gold_project)
    with pytest.raises(training.TrainingRefused):
        start.start_training(gold_project)  # one at a time
    assert training_runs.cancel(queued)
    queued.refresh_from_db()
    assert queued.status == TaskRun.Status.FAILED and "cancelled" in queued.errors[0]
    assert training_runs.train_run(queued.pk) == {"skipped": True}

    running = start.start_training(gold_project)
    step = training.Reporter.step

    def cancel_at_step_three(self, number, max_steps, line):
        if number == 3:
            training_runs.cancel(running)
        step(self, number, max_steps, line)

    monkeypatch.setattr(training.Reporter, "step", cancel_at_step_three)
    assert training_runs.train_run(running.pk) == {"cancelled": True}
    running.refresh_from_db()
    assert running.status == TaskRun.Status.FAILED
    assert not StoredPipeline.objects.exists()
    assert "stopped" in TrainingRun.objects.get(task=running).log[-1]


def test_retraining_is_due_after_n_new_gold_documents(gold_project, settings):
    settings.TASKS = DUMMY
    assert not training.retrain_due(gold_project)  # off by default
    gold_project.retrain_every = 5
    gold_project.save()
    assert training.retrain_due(gold_project)  # 20 gold documents, never trained
    TrainingRun.objects.create(project=gold_project, gold_documents=20)
    assert not training.retrain_due(gold_project)
    add_gold(gold_project, synthetic_records(5, seed=9))
    run = start.maybe_retrain(gold_project)
    assert run is not None and run.kind == TaskRun.Kind.TRAIN
    assert start.maybe_retrain(gold_project) is None  # already running


@pytest.mark.slow
def test_the_default_labels_train_beside_the_rules(project, settings, tmp_path):
    """The seed gold, the pretrained recogniser fine-tuned a few steps, put in the rule extractor's pipeline."""
    settings.MODEL_CACHE_DIR = tmp_path / "models"
    for path in sorted((settings.FIXTURES_DIR / "gold").glob("*.jsonl")):
        services.import_file(project, path, fmt="jsonl", layer="gold")
    run = training.train_project(project, seed=0, max_steps=30)
    assert run.merge in pure.MERGES
    assert set(run.results["merges"]) == set(pure.MERGES)
    assert run.results["current_version"].startswith("news-extractor-")
    assert any("DATE" in line for line in run.log)  # the pretrained recogniser's dates kept for the quantity rules
    extractor = training.load_trained(run.extractor.version)
    if run.merge == pure.RULES_WITH_TRAINED:
        names = extractor.nlp.pipe_names
        assert names.count("ner") == 1 and "span_resolver" in names and "quantity_spans" in names
    (spans,) = extractor.predict(["Iraqi forces retook Mosul from Islamic State, killing about 200 militants."])
    assert {s["label"] for s in spans} <= {"ACTOR", "LOCATION", "QUANTITY"} and spans


def test_the_workers_start_a_due_retraining_once(gold_project, settings):
    settings.TASKS = DUMMY
    start.watch()
    assert not TaskRun.objects.filter(kind=TaskRun.Kind.TRAIN).exists()  # retraining is off
    gold_project.retrain_every = 10
    gold_project.save()
    start.watch()
    start.watch()
    run = TaskRun.objects.get(kind=TaskRun.Kind.TRAIN)
    assert run.params["promote"] is None  # the project's auto_promote decides


def test_most_uncertain_first_is_recomputed_from_the_trained_model_after_training(gold_project):
    from annotator.models import Document, Project
    from tests.conftest import make_document

    gold_project.work_order = Project.WorkOrder.UNCERTAIN
    gold_project.save()
    texts = [text for text, _ in synthetic_records(6, seed=7)] + ["Nothing here at all."]
    fresh = [make_document(gold_project, text=t, order=100 + i, uncertainty=-1.0) for i, t in enumerate(texts)]
    run = training.train_project(gold_project, seed=0, max_steps=60)
    values = dict(Document.objects.filter(pk__in=[d.pk for d in fresh]).values_list("pk", "uncertainty"))
    assert all(0.0 <= v <= 1.0 for v in values.values())
    assert values[fresh[-1].pk] == 0.0 or values[fresh[-1].pk] < max(values.values())
    assert any("uncertainty of 7 documents" in line for line in run.log)
    # Same model, same texts: the same numbers (the beam is deterministic).
    assert training.update_uncertainty(gold_project, training.load_trained(run.extractor.version).nlp) == 7
    assert dict(Document.objects.filter(pk__in=[d.pk for d in fresh]).values_list("pk", "uncertainty")) == values
