"""The management commands, end to end on the database."""

import json

import pytest
from django.core.management import CommandError, call_command

from annotator.models import Document, ExtractorVersion, GoldSpan, Prediction

from .conftest import ARTICLE


def run(*args):
    call_command(*args)


def test_import_docs_reports_file_and_line_and_stores_nothing(project, tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"text": "ok"}) + "\n" + json.dumps({"text": "x", "spans": [{"start": 0, "end": 5, "label": "ACTOR"}]}) + "\n")
    with pytest.raises(CommandError) as error:
        run("import_docs", str(path))
    assert f"{path}:2: field 'spans[0]'" in str(error.value) and "Nothing from" in str(error.value)
    assert Document.objects.count() == 0


def test_import_docs_with_predict_and_new_project(db, tmp_path, fake_extractor, capsys):
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE)
    run("import_docs", "--project", "other", "--predict", str(path))
    document = Document.objects.get()
    assert document.project.slug == "other" and set(document.project.labels.values_list("name", flat=True)) == {
        "ACTOR",
        "LOCATION",
        "QUANTITY",
    }
    assert Prediction.objects.filter(document=document).exists()
    assert "predicted 1 documents" in capsys.readouterr().out


def test_export_model_layer_to_file(project, predicted, tmp_path):
    output = tmp_path / "model.jsonl"
    run("export", "--layer", "model", "--output", str(output))
    (record,) = [json.loads(line) for line in output.read_text().splitlines()]
    assert record["meta"]["model"] == "fake-extractor-1" and len(record["spans"]) == 4
    assert all(set(s) >= {"start", "end", "label", "score", "source"} for s in record["spans"])


def test_export_without_predictions_is_a_clear_error(project, tmp_path):
    with pytest.raises(CommandError, match="no predictions"):
        run("export", "--layer", "model", "--output", str(tmp_path / "x.jsonl"))


@pytest.mark.slow
def test_load_demo_is_idempotent_and_predicts(db):
    run("load_demo")
    run("load_demo")
    # The five seeds (the rules were written on them) and six blind articles, all with gold.
    assert Document.objects.filter(project__slug="news").count() == 11
    assert Document.objects.filter(gold_at__isnull=False).count() == 11
    assert GoldSpan.objects.count() == 508 + 334
    assert Document.objects.filter(meta__set="blind").count() == 6
    version = ExtractorVersion.objects.get()
    assert Prediction.objects.filter(extractor=version).count() == 11


@pytest.mark.slow
def test_extract_needs_no_database(tmp_path, django_db_blocker):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": ARTICLE}) + "\n")
    output = tmp_path / "out.jsonl"
    with django_db_blocker.block():
        run("extract", "--input", str(source), "--output", str(output))
    (record,) = [json.loads(line) for line in output.read_text().splitlines()]
    assert record["id"] == "a" and record["spans"]
    for span in record["spans"]:
        assert {"start", "end", "label"} <= set(span) and ("score" in span or "source" in span)
        assert 0 <= span["start"] < span["end"] <= len(ARTICLE)
