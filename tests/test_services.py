"""Writes: import, prediction, span edits, undo, submit."""

import json

import pytest
from django.db import IntegrityError, transaction

from annotator import services
from annotator.formats import FormatError
from annotator.models import Annotation, AnnotationSpan, Document, GoldSpan, Prediction

from .conftest import ARTICLE


def write_jsonl(path, *records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def span(text, word, label, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(word, start + 1)
    return {"start": start, "end": start + len(word), "label": label}


# ---------------------------------------------------------------- import


def test_import_txt_and_jsonl_gold_dedupes_by_text(project, tmp_path):
    txt = tmp_path / "a.txt"
    txt.write_text(ARTICLE, encoding="utf-8")
    result = services.import_file(project, txt)
    assert result.documents_created == 1
    doc = Document.objects.get()
    assert doc.external_id == "a" and doc.tokens and doc.title.startswith("U.S.-backed")

    gold = write_jsonl(tmp_path / "g.jsonl", {"id": "x", "text": ARTICLE, "spans": [span(ARTICLE, "Mosul", "LOCATION")]})
    result = services.import_file(project, gold)
    assert (result.documents_created, result.documents_existing, result.spans) == (0, 1, 1)
    assert Document.objects.count() == 1
    assert list(GoldSpan.objects.values_list("start", "end")) == [(ARTICLE.index("Mosul"), ARTICLE.index("Mosul") + 5)]
    doc.refresh_from_db()
    assert doc.gold_at is not None
    # Importing the same gold again replaces it instead of doubling it.
    services.import_file(project, gold)
    assert GoldSpan.objects.count() == 1


def test_malformed_line_stores_nothing_from_the_file(project, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "First document."}) + "\n" + '{"text": "second", oops}\n', encoding="utf-8")
    with pytest.raises(FormatError) as error:
        services.import_file(project, path)
    assert str(error.value).startswith(f"{path}:2: broken JSON")
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    "bad_span, message",
    [
        ({"start": 0, "end": 9999, "label": "ACTOR"}, "outside the text"),
        ({"start": 0, "end": 4, "label": "WEAPON"}, "unknown label 'WEAPON'"),
        ({"start": 0, "end": 4, "label": "ACTOR", "text": "nope"}, "its text is 'nope'"),
    ],
)
def test_bad_spans_are_refused_with_file_and_line(project, tmp_path, bad_span, message):
    path = write_jsonl(tmp_path / "in.jsonl", {"text": "Good one."}, {"text": ARTICLE, "spans": [bad_span]})
    with pytest.raises(FormatError) as error:
        services.import_file(project, path)
    assert str(error.value).startswith(f"{path}:2: field 'spans[0]'") and message in str(error.value)
    assert Document.objects.count() == 0


def test_import_to_model_layer_and_annotations_layer(project, tmp_path, make_user):
    path = write_jsonl(tmp_path / "p.jsonl", {"id": "d", "text": ARTICLE, "spans": [span(ARTICLE, "Raqqa", "LOCATION")]})
    services.import_file(project, path, layer="model", model="my-ner-v2")
    prediction = Prediction.objects.get()
    assert prediction.extractor.version == "my-ner-v2" and prediction.spans.count() == 1
    again = services.import_file(project, path, layer="model", model="my-ner-v2")
    assert Prediction.objects.count() == 1 and again.skipped  # predictions are never edited

    user = make_user("carol", project=project)
    services.import_file(project, path, layer="annotations", annotator="carol")
    annotation = Annotation.objects.get(annotator=user)
    assert annotation.status == "submitted" and annotation.spans.get().origin == "manual"
    assert GoldSpan.objects.count() == 0
    with pytest.raises(FormatError, match="no user named 'nobody'"):
        services.import_file(project, path, layer="annotations", annotator="nobody")


# ---------------------------------------------------------------- prediction


def test_predict_is_idempotent_and_versioned(project, document, fake_extractor):
    version, done = services.predict_documents(project)
    assert done == 1 and version.version == "fake-extractor-1"
    assert services.predict_documents(project)[1] == 0
    labels = set(Prediction.objects.get().spans.values_list("label__name", flat=True))
    assert labels == {"ACTOR", "LOCATION"}
    fake_extractor.version = "fake-extractor-2"
    assert services.predict_documents(project)[1] == 1
    assert Prediction.objects.count() == 2


# ---------------------------------------------------------------- annotation edits


@pytest.fixture
def annotation(predicted, annotator):
    return services.start_annotation(predicted, annotator)


def label_id(project, name):
    return project.labels.get(name=name).pk


def test_new_annotation_starts_from_the_predictions(annotation):
    assert annotation.spans.count() == 4
    assert set(annotation.spans.values_list("origin", flat=True)) == {"model_accepted"}
    assert annotation.events.get().action == "create"


def test_add_snaps_to_tokens_and_logs(annotation, annotator, project):
    start = ARTICLE.index("slamic State")
    span_ = services.add_span(annotation, annotator, version=1, start=start, end=start + 8, label_id=label_id(project, "ACTOR"))
    assert ARTICLE[span_.start : span_.end] == "Islamic State" and span_.origin == "manual"
    annotation.refresh_from_db()
    assert annotation.version == 2
    event = annotation.events.last()
    assert (event.action, event.after["label"], event.version, event.user) == ("add", "ACTOR", 2, annotator)


def test_stale_version_is_refused_and_nothing_changes(annotation, annotator, project):
    start = ARTICLE.index("Friday")
    services.add_span(annotation, annotator, version=1, start=start, end=start + 6, label_id=label_id(project, "ACTOR"))
    count = AnnotationSpan.objects.count()
    with pytest.raises(services.StaleEdit) as error:
        services.add_span(annotation, annotator, version=1, start=0, end=4, label_id=label_id(project, "ACTOR"))
    assert error.value.current_version == 2 and "version 2" in str(error.value)
    assert AnnotationSpan.objects.count() == count


def test_overlap_is_refused(annotation, annotator, project):
    start = ARTICLE.index("Iraqi forces")
    with pytest.raises(services.EditRefused, match="overlaps the ACTOR span"):
        services.add_span(annotation, annotator, version=1, start=start, end=start + 3, label_id=label_id(project, "LOCATION"))
    annotation.refresh_from_db()
    assert annotation.version == 1


def test_change_label_marks_model_span_edited_and_undo_restores(annotation, annotator, project):
    syria = annotation.spans.get(label__name="ACTOR", start=ARTICLE.index("Syria"))
    services.change_span(annotation, annotator, version=1, span_id=syria.pk, label_id=label_id(project, "LOCATION"))
    syria.refresh_from_db()
    assert (syria.label.name, syria.origin) == ("LOCATION", "model_edited")
    services.change_span(annotation, annotator, version=2, span_id=syria.pk, step=("start", -1))
    syria.refresh_from_db()
    assert ARTICLE[syria.start : syria.end] == "in Syria"

    services.undo(annotation, annotator, version=3)
    services.undo(annotation, annotator, version=4)
    syria = annotation.spans.get(start=ARTICLE.index("Syria"))
    assert (syria.label.name, syria.end - syria.start, syria.origin) == ("ACTOR", 5, "model_accepted")
    assert list(annotation.events.values_list("action", flat=True)) == ["create", "change", "change", "undo", "undo"]
    with pytest.raises(services.EditRefused, match="Nothing to undo"):
        services.undo(annotation, annotator, version=5)


def test_delete_and_undo_delete(annotation, annotator):
    mosul = annotation.spans.get(label__name="LOCATION", start=ARTICLE.index("Mosul"))
    services.delete_span(annotation, annotator, version=1, span_id=mosul.pk)
    assert not annotation.spans.filter(start=mosul.start).exists()
    services.undo(annotation, annotator, version=2)
    assert annotation.spans.filter(start=mosul.start, end=mosul.end, label__name="LOCATION").exists()


def test_submit_makes_gold_and_changes_need_a_reopen(annotation, annotator, project):
    services.submit(annotation, annotator, version=1, elapsed=12.5)
    annotation.refresh_from_db()
    assert annotation.status == "submitted" and annotation.time_spent == 12.5 and annotation.submitted_at
    assert GoldSpan.objects.count() == 4 and GoldSpan.objects.first().decided_by == annotator
    assert [(r.number, r.how, r.spans) for r in annotation.document.gold_revisions.all()] == [(1, "auto", 4)]
    first = annotation.spans.first()
    with pytest.raises(services.EditRefused, match="Reopen"):
        services.delete_span(annotation, annotator, version=2, span_id=first.pk)
    services.reopen(annotation, annotator, version=2)
    services.delete_span(annotation, annotator, version=3, span_id=first.pk)
    annotation.refresh_from_db()
    assert annotation.status == "draft" and GoldSpan.objects.count() == 4
    # The document has gold: the new submission waits for a reviewer instead of replacing it.
    services.submit(annotation, annotator, version=4)
    assert GoldSpan.objects.count() == 4 and annotation.document.gold_revisions.count() == 1
    project.submissions_replace_gold = True
    project.save()
    services.reopen(annotation, annotator, version=5)
    annotation.document.project = project
    services.submit(annotation, annotator, version=6)
    assert GoldSpan.objects.count() == 3
    assert [(r.number, r.how, r.added, r.removed) for r in annotation.document.gold_revisions.all()] == [
        (1, "auto", 4, 0),
        (2, "auto", 0, 1),
    ]


def test_edit_log_is_append_only(annotation):
    event = annotation.events.get()
    event.action = "delete"
    with pytest.raises(Exception, match="append-only"):
        event.save()
    with pytest.raises(Exception, match="append-only"):
        event.delete()


def test_database_refuses_bad_offsets_and_text_changes(annotation, project):
    label = project.labels.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnotationSpan.objects.create(annotation=annotation, label=label, start=5, end=5)
    document = annotation.document
    document.text = "changed"
    with pytest.raises(Exception, match="immutable"):
        document.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(project=project, text=ARTICLE, content_hash=document.content_hash)
