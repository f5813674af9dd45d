"""Importing what Label Studio's and doccano's editors write, through import_docs and the database (issue 16)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotator import services
from annotator.formats import FormatError
from annotator.models import Document, GoldRevision, GoldSpan, PredictedSpan, Prediction

ARTICLE = "Intro.\n\nMOSUL fell to Iraqi forces.\r\nRaqqa is next."


def write(path, content):
    if not isinstance(content, str):
        content = json.dumps(content, ensure_ascii=False)
    path.write_text(content, encoding="utf-8", newline="")
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_docs", *map(str, args), stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def gold_of(project):
    return {d.text: sorted((d.text[s.start : s.end], s.label.name) for s in d.gold_spans.all()) for d in project.documents.all() if d.gold_at}


def ls_task(text, regions, **extra):
    result = [{"from_name": "label", "to_name": "text", "type": "labels", "value": {"start": s, "end": e, "text": t, "labels": [label]}} for s, e, t, label in regions]
    return {"data": {"text": text}, "annotations": [{"result": result, "was_cancelled": False}], **extra}


def test_label_studio_editor_file_imports_every_span_and_says_which_unit(project, tmp_path):
    mosul, iraqi, raqqa = ARTICLE.index("MOSUL"), ARTICLE.index("Iraqi"), ARTICLE.index("Raqqa")
    emoji = "Ça va 👍 — Raqqa's Kurdish forces (YPG) took 2,000 prisoners."
    tasks = [
        ls_task(ARTICLE, [(mosul, mosul + 5, "\nMOSUL", "LOCATION"), (iraqi, iraqi + 12, "Iraqi forces", "ACTOR"), (raqqa, raqqa + 5, "\nRaqqa", "LOCATION")]),
        ls_task(emoji, [(11, 16, "Raqqa", "LOCATION"), (35, 38, "YPG", "ACTOR")]),  # UTF-16 units
    ]
    output = run(write(tmp_path / "ls.json", tasks))
    assert gold_of(project) == {
        ARTICLE: [("Iraqi forces", "ACTOR"), ("MOSUL", "LOCATION"), ("Raqqa", "LOCATION")],
        emoji: [("Raqqa", "LOCATION"), ("YPG", "ACTOR")],
    }
    assert "UTF-16 code units in 1 document" in output and "code points in 1 document" in output  # CRLF: graphemes differ
    assert "2 span texts matched once the white space around them was trimmed" in output


def test_doccano_editor_file_default_and_named_units(project, tmp_path):
    repro = '{"text":"Ça va 👍 — Raqqa\'s Kurdish forces (YPG) took 2,000 prisoners on Monday in Hasakah.","label":[[11,16,"LOCATION"]]}'
    output = run(write(tmp_path / "doccano.jsonl", repro))
    assert list(gold_of(project).values()) == [[("Raqqa", "LOCATION")]] and "UTF-16 code units in 1 document" in output
    flags = "🇮🇶 e\u0301\r\nMosul 👩\u200d👩\u200d👧 Raqqa"
    output = run(write(tmp_path / "graphemes.jsonl", {"text": flags, "label": [[4, 9, "LOCATION"], [12, 17, "LOCATION"]]}), "--offsets", "grapheme")
    assert gold_of(project)[flags] == [("Mosul", "LOCATION"), ("Raqqa", "LOCATION")] and "grapheme clusters in 1 document" in output
    with pytest.raises(CommandError, match="--offsets applies to doccano and labelstudio files, not jsonl"):
        run(write(tmp_path / "x.jsonl", {"text": "Mosul.", "spans": []}), "--offsets", "utf16")


def test_unannotated_tasks_over_existing_gold_leave_the_gold_unchanged(project, tmp_path):
    texts = ["Iraqi forces entered Mosul.", "About 200 militants fled to Raqqa.", "Kurdish-led SDF fighters captured Tabqa."]
    gold = "\n".join(
        [
            json.dumps({"text": texts[0], "spans": [{"start": 0, "end": 12, "label": "ACTOR"}, {"start": 21, "end": 26, "label": "LOCATION"}]}),
            json.dumps({"text": texts[1], "spans": [{"start": 0, "end": 19, "label": "QUANTITY"}, {"start": 28, "end": 33, "label": "LOCATION"}]}),
            json.dumps({"text": texts[2], "spans": [{"start": 12, "end": 15, "label": "ACTOR"}, {"start": 34, "end": 39, "label": "LOCATION"}]}),
        ]
    )
    run(write(tmp_path / "gold.jsonl", gold))
    before = gold_of(project)
    revisions = GoldRevision.objects.count()
    assert sum(map(len, before.values())) == 6
    # Label Studio's export of the same texts: no annotation, only a skipped one, an empty draft.
    export = [
        {"id": 1, "data": {"text": texts[0]}, "annotations": [], "predictions": []},
        {"id": 2, "data": {"text": texts[1]}, "annotations": [{"id": 9, "result": [], "was_cancelled": True}], "predictions": []},
        {"id": 3, "data": {"text": texts[2]}, "annotations": [], "drafts": [{"result": []}], "predictions": []},
    ]
    output = run(write(tmp_path / "ls.json", export))
    assert gold_of(project) == before and GoldRevision.objects.count() == revisions
    assert "3 records without an annotation" in output
    # doccano: lines never annotated (no label key), and explicit empty annotations without --empty-is-gold.
    lines = "\n".join([json.dumps({"text": texts[0]}), json.dumps({"text": texts[1], "label": []}), json.dumps({"text": texts[2], "entities": [], "relations": []})])
    run(write(tmp_path / "doccano.jsonl", lines), "--format", "doccano")  # auto would read a first line without label as jsonl
    assert gold_of(project) == before and GoldRevision.objects.count() == revisions
    # An explicit empty annotation becomes an empty gold revision only on request.
    run(write(tmp_path / "empty.jsonl", json.dumps({"text": texts[1], "label": []})), "--empty-is-gold")
    after = gold_of(project)
    assert after[texts[1]] == [] and after[texts[0]] == before[texts[0]] and GoldRevision.objects.count() == revisions + 1


def test_several_predictions_each_under_its_model_version(project, tmp_path):
    text = "U.S.-backed Iraqi forces 👍 entered Mosul."
    region = lambda s, e, t, label: {"from_name": "label", "to_name": "text", "type": "labels", "value": {"start": s, "end": e, "text": t, "labels": [label]}, "score": 0.5}
    tasks = [
        {"data": {"text": text}, "annotations": [], "predictions": [
            {"model_version": "v1", "result": [region(12, 24, "Iraqi forces", "ACTOR")]},
            {"model_version": "v2", "result": [region(36, 41, "Mosul", "LOCATION")]},
            {"result": [region(0, 4, "U.S.", "ACTOR")]},
        ]},
        {"data": {"text": "No model saw this one."}, "annotations": [], "predictions": []},
    ]
    path = write(tmp_path / "preds.json", tasks)
    with pytest.raises(CommandError, match="name no model version: give one with --model NAME"):
        run(path, "--layer", "model")
    assert Document.objects.count() == 0  # nothing of the file was stored
    output = run(path, "--layer", "model", "--model", "unnamed")
    stored = sorted((p.extractor.version, text[s.start : s.end]) for p in Prediction.objects.all() for s in p.spans.all())
    assert stored == [("unnamed", "U.S."), ("v1", "Iraqi forces"), ("v2", "Mosul")]
    assert Document.objects.filter(text="No model saw this one.").exists() and not GoldSpan.objects.exists()
    assert "predictions under v1 (1 document), v2 (1 document), unnamed (1 document)" in output


def test_quick_export_is_refused_pointing_to_the_full_export(project, tmp_path):
    path = write(tmp_path / "quick.json", [{"id": 1, "data": {"text": "Iraqi forces entered Mosul."}, "annotations": [], "predictions": [1, 2]}])
    with pytest.raises(CommandError, match=r"quick.json:1: field 'predictions\[0\]': predictions are listed by id only: this is Label Studio's quick export; export the project in full"):
        run(path, "--layer", "model")


def test_json_min_export_imports(project, tmp_path):
    items = [
        {"text": "Intro.\n\nMOSUL fell.", "id": 1, "label": [{"start": 8, "end": 13, "text": "\nMOSUL", "labels": ["LOCATION"]}], "annotator": 1, "annotation_id": 3, "created_at": "x", "updated_at": "x", "lead_time": 1.0},
        {"text": "Nobody annotated this.", "id": 2, "annotator": None, "annotation_id": None, "created_at": None, "updated_at": None, "lead_time": None},
    ]
    run(write(tmp_path / "min.json", json.dumps(items, indent=2)))
    assert gold_of(project) == {"Intro.\n\nMOSUL fell.": [("MOSUL", "LOCATION")]} and Document.objects.count() == 2


def test_overlaps_policy_and_skip_invalid_skip_spans_not_documents(project, tmp_path):
    text = "Forces of Mosul province attacked Raqqa."
    line = json.dumps({"id": "o", "text": text, "label": [[0, 24, "ACTOR"], [10, 15, "LOCATION"], [34, 39, "LOCATION"], [34, 39, "WEAPON"]]})
    path = write(tmp_path / "overlap.jsonl", line)
    with pytest.raises(CommandError, match=r"overlap.jsonl:1: field 'label\[3\]': document 'o': span \[34, 39\) unknown label 'WEAPON'"):
        run(path)
    path = write(tmp_path / "overlap.jsonl", json.dumps({"id": "o", "text": text, "label": [[0, 24, "ACTOR"], [10, 15, "LOCATION"], [34, 39, "LOCATION"]]}))
    with pytest.raises(CommandError, match=r"span \[10, 15\) LOCATION 'Mosul' overlaps \[0, 24\) ACTOR 'Forces of Mosul province'"):
        run(path)
    assert Document.objects.count() == 0
    output = run(path, "--overlaps", "split")
    assert gold_of(project)[text] == [("Forces of", "ACTOR"), ("Mosul", "LOCATION"), ("Raqqa", "LOCATION"), ("province", "ACTOR")]
    assert "1 overlapping span dropped or cut (--overlaps split)" in output
    # --skip-invalid leaves the bad spans out, keeps the document and lists the spans in the report.
    other = "Iraqi forces entered Tabqa and Raqqa."
    path = write(tmp_path / "skip.jsonl", json.dumps({"id": "s", "text": other, "label": [[0, 12, "ACTOR"], [6, 12, "ACTOR"], [21, 26, "LOCATION"], [31, 36, "WEAPON"]]}))
    output = run(path, "--skip-invalid")
    assert gold_of(project)[other] == [("Iraqi forces", "ACTOR"), ("Tabqa", "LOCATION")]
    assert "2 invalid spans skipped (their documents kept)" in output
    report = (tmp_path / "skip.jsonl.skipped.txt").read_text().splitlines()
    assert len(report) == 2 and all(line.startswith(f"{path}:1: field 'label[") for line in report)
    assert any("overlaps" in line for line in report) and any("unknown label 'WEAPON'" in line for line in report)


def test_exports_in_the_peer_editors_units_and_the_model_round_trip(project, tmp_path, fake_extractor):
    text = "Ça va 👍 — Iraqi forces entered Mosul."
    services.import_file(project, write(tmp_path / "d.jsonl", {"text": text, "spans": [{"start": 10, "end": 22, "label": "ACTOR"}]}))
    out = tmp_path / "gold.jsonl"
    call_command("export", "--format", "doccano", "--output", str(out), stderr=io.StringIO())
    assert json.loads(out.read_text())["label"] == [[11, 23, "ACTOR"]]  # UTF-16, what doccano's editor reads
    call_command("export", "--format", "doccano", "--offsets", "codepoint", "--output", str(tmp_path / "cp.jsonl"), stderr=io.StringIO())
    assert json.loads((tmp_path / "cp.jsonl").read_text())["label"] == [[10, 22, "ACTOR"]]
    with pytest.raises(CommandError, match="--offsets applies to"):
        call_command("export", "--format", "conll", "--offsets", "utf16", "--output", str(tmp_path / "x.conll"), stderr=io.StringIO())
    # The model layer through Label Studio and back: every field of every prediction.
    services.predict_documents(project)
    version = Prediction.objects.get().extractor.version
    exported = tmp_path / "preds.json"
    call_command("export", "--format", "labelstudio", "--layer", "model", "--output", str(exported), stderr=io.StringIO())
    fields = lambda: sorted((s.prediction.document.text[s.start : s.end], s.label.name, s.score, s.source) for s in PredictedSpan.objects.filter(prediction__extractor__version=version))
    before = fields()
    assert before and all(source == "fake" for *_, source in before)
    PredictedSpan.objects.all().delete()
    Prediction.objects.all().delete()
    run(exported, "--layer", "model")
    assert fields() == before


def test_import_file_refuses_unknown_options(project, tmp_path):
    path = write(tmp_path / "d.jsonl", {"text": "Mosul.", "label": [[0, 5, "LOCATION"]]})
    with pytest.raises(FormatError, match="unknown offset unit 'bytes'"):
        services.import_file(project, path, offsets="bytes")


def test_unannotated_documents_do_not_leave_as_negative_training_data(project, tmp_path):
    tasks = [
        ls_task("Iraqi forces entered Mosul.", [(0, 12, "Iraqi forces", "ACTOR")]),
        {"data": {"text": "Nobody annotated this one."}, "annotations": []},
        {"data": {"text": "Skipped by its annotator."}, "annotations": [{"result": [], "was_cancelled": True}]},
        {"data": {"text": "Annotated as empty."}, "annotations": [{"result": [], "was_cancelled": False}]},
    ]
    run(write(tmp_path / "ls.json", tasks))
    assert Document.objects.count() == 4
    for fmt in ("doccano", "labelstudio", "jsonl"):
        out = tmp_path / f"gold.{fmt}"
        call_command("export", "--format", fmt, "--output", str(out), stderr=io.StringIO())
        content = out.read_text(encoding="utf-8")
        assert "Iraqi forces entered Mosul." in content, fmt
        assert not any(t in content for t in ("Nobody annotated", "Skipped by", "Annotated as empty")), fmt
    # With --empty-is-gold the explicit empty annotation is gold, and leaves as a document without spans.
    run(write(tmp_path / "ls.json", tasks), "--empty-is-gold")
    out = tmp_path / "gold2.jsonl"
    call_command("export", "--format", "doccano", "--output", str(out), stderr=io.StringIO())
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted((line["text"], len(line["label"])) for line in lines) == [("Annotated as empty.", 0), ("Iraqi forces entered Mosul.", 1)]
