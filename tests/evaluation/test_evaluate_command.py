"""`manage.py evaluate`: two JSONL files without a database, or a project's gold against an extractor version."""

import json

import pytest
from django.core.management import CommandError, call_command

from annotator.models import EvaluationRun

from .vector import GOLD, PRED, TEXT


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def record(doc_id, spans, text=TEXT):
    return {"id": doc_id, "text": text, "spans": [{"start": s, "end": e, "label": l} for l, s, e in spans], "meta": {}}


@pytest.fixture
def files(tmp_path):
    gold = write(tmp_path / "gold.jsonl", [record("d", GOLD), record("empty", [], text="Nothing to see.")])
    pred = write(tmp_path / "pred.jsonl", [record("d", PRED), record("not-in-gold", PRED)])
    return gold, pred


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


def test_two_files_need_no_database_and_print_the_contract_json(files):
    # No `db` fixture: pytest-django refuses any query, so this proves no database is touched.
    gold, pred = files
    result = json.loads(run("--gold", gold, "--predictions", pred, "--json"))
    assert result["documents"] == 2
    assert set(result["schemes"]) == {"strict", "exact", "partial", "type", "unlabelled"}
    for name, scheme in result["schemes"].items():
        for entry in [scheme["micro"], scheme["macro"], *scheme["per_label"].values()]:
            assert {"precision", "recall", "f1"} <= set(entry)
            assert {"tp", "fp", "fn"} <= set(entry) if name in ("strict", "unlabelled") else {"cor", "inc", "par", "mis", "spu"} <= set(entry)
    assert result["schemes"]["strict"]["micro"]["f1"] == 0.25
    assert result["schemes"]["partial"]["micro"]["f1"] == 0.625
    assert result["predicted_documents"] == 1


def test_the_readable_table(files):
    gold, pred = files
    out = run("--gold", gold, "--predictions", pred)
    assert "strict       0.250  0.250  0.250" in out
    assert "partial      0.625  0.625  0.625" in out
    assert "macro      0.167" in out
    assert "Confusion" in out


def test_both_files_or_neither(files):
    with pytest.raises(CommandError, match="both"):
        run("--gold", files[0])


def test_a_text_that_differs_between_the_files_is_refused(tmp_path, files):
    other = write(tmp_path / "other.jsonl", [record("d", PRED, text=TEXT.upper())])
    with pytest.raises(CommandError, match="another text"):
        run("--gold", files[0], "--predictions", other)


def test_a_broken_file_names_the_line(tmp_path, files):
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(record("d", PRED)) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"broken.jsonl:2"):
        run("--gold", files[0], "--predictions", str(broken))


def test_the_project_gold_against_the_latest_extractor(project, predicted):
    from django.utils import timezone

    from annotator.models import GoldSpan

    label = project.labels.get(name="ACTOR")
    GoldSpan.objects.create(document=predicted, label=label, start=0, end=5)
    predicted.gold_at = timezone.now()
    predicted.save(update_fields=["gold_at"])
    out = run("--project", project.slug)
    assert "1 of 1 documents have gold" in out
    result = json.loads(run("--project", project.slug, "--json"))
    assert result["extractor"] == "fake-extractor-1"
    assert result["documents"] == 1 and result["schemes"]["strict"]["micro"]["fn"] == 1
    assert EvaluationRun.objects.count() == 1  # the same gold and numbers twice: one run
    json.loads(run("--project", project.slug, "--json", "--model", "fake-extractor-1"))
    with pytest.raises(CommandError, match="no extractor version"):
        run("--project", project.slug, "--model", "nope")


def test_no_predictions_is_an_error(project):
    with pytest.raises(CommandError, match="no predictions"):
        run("--project", project.slug)
