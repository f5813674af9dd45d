"""Files in the shapes Label Studio's and doccano's own editors write (issue 16), read span by span.

Each file here is what the peer tool writes when people annotate in its
browser editor (offsets from JavaScript, Label Studio's value.text with the
line break of a paragraph start, skipped tasks, several predictions, JSON_MIN,
the quick export) and every test asserts the text of every span read.
"""

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings

from annotator.formats import (
    FORMATS,
    FormatError,
    Record,
    Span,
    check_spans,
    doccano,
    labelstudio,
)
from annotator.formats.overlaps import resolve
from annotator.formats.reading import ReadStats, SpanError
from annotator.formats.records import ANNOTATED, EMPTY, UNANNOTATED
from annotator.formats.units import Units

from .strategies import LABELS, texts

KNOWN = set(LABELS)


def read(module, content, **options):
    """Load `content` (a str, or a value written as JSON) and check every record like the importer does."""
    if not isinstance(content, str):
        content = json.dumps(content, ensure_ascii=False)
    records = list(module.load(io.StringIO(content, newline=""), name="t", **options))
    for record in records:
        check_spans(record, KNOWN)
    return records


def texts_of(records):
    return [[(r.text[s.start : s.end], s.label) for s in r.spans] for r in records]


def ls_task(text, *regions, **task):
    """A Label Studio task annotated in its editor: one annotation with the given (start, end, text, label) regions."""
    result = [
        {"value": {"start": s, "end": e, "text": t, "labels": [label]}, "id": f"r{i}", "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual"}
        for i, (s, e, t, label) in enumerate(regions)
    ]
    return {"id": task.pop("id", 1), "data": {"text": text}, "annotations": [{"id": 10, "completed_by": 1, "result": result, "was_cancelled": False, "ground_truth": False}], "predictions": [], **task}


# ---------------------------------------------------------------- Label Studio's editor


def test_label_studio_region_at_a_paragraph_start_keeps_its_offsets_and_trims_the_editors_line_break():
    # The repro of the issue, exactly as Label Studio 1.23.2's editor wrote it.
    content = '[{"data":{"text":"Intro.\\n\\nMOSUL fell."},"annotations":[{"result":[{"from_name":"label","to_name":"text","type":"labels","value":{"start":8,"end":13,"text":"\\nMOSUL","labels":["LOCATION"]}}]}]}]'
    stats = ReadStats()
    records = read(labelstudio, content, stats=stats)
    assert texts_of(records) == [[("MOSUL", "LOCATION")]]
    assert records[0].status == ANNOTATED and stats.trimmed == 1


def test_label_studio_paragraph_start_after_crlf():
    text = "Intro.\r\n\r\nMOSUL fell to Iraqi forces.\r\nRaqqa next."
    start, raqqa = text.index("MOSUL"), text.index("Raqqa")
    task = ls_task(text, (start, start + 5, "\r\nMOSUL", "LOCATION"), (text.index("Iraqi"), text.index("Iraqi") + 12, "Iraqi forces", "ACTOR"), (raqqa, raqqa + 5, "\nRaqqa", "LOCATION"))
    assert texts_of(read(labelstudio, [task])) == [[("MOSUL", "LOCATION"), ("Iraqi forces", "ACTOR"), ("Raqqa", "LOCATION")]]


def test_label_studio_real_mismatch_is_still_an_error_naming_the_span():
    task = ls_task("Intro.\n\nMOSUL fell.", (8, 13, "\nRAQQA", "LOCATION"))
    with pytest.raises(FormatError, match=r"span \[8, 13\) LOCATION covers 'MOSUL' in code points but its text is '\\nRAQQA'"):
        read(labelstudio, [task])


def test_label_studio_unit_is_found_per_document_from_value_text():
    emoji = "Ça va 👍 — Raqqa's Kurdish forces (YPG) took 2,000 prisoners."
    flags = "🇮🇶 e\u0301\r\nMosul 👩\u200d👩\u200d👧 Raqqa"
    # Mosul and Raqqa in code points, UTF-16 code units and grapheme clusters (counted by hand).
    assert (flags[7:12], flags[19:24]) == ("Mosul", "Raqqa")
    tasks = [
        ls_task(emoji, (10, 15, "Raqqa", "LOCATION"), id=1),  # code points (Label Studio's editor and API)
        ls_task(emoji, (11, 16, "Raqqa", "LOCATION"), (35, 38, "YPG", "ACTOR"), id=2),  # UTF-16 (an older browser)
        ls_task(flags, (4, 9, "Mosul", "LOCATION"), (12, 17, "Raqqa", "LOCATION"), id=3),  # graphemes
        ls_task(flags, (9, 14, "Mosul", "LOCATION"), (24, 29, "Raqqa", "LOCATION"), id=4),  # UTF-16
        ls_task("Iraqi forces entered Mosul.", (21, 26, "Mosul", "LOCATION"), id=5),  # every unit alike
    ]
    stats = ReadStats()
    records = read(labelstudio, tasks, stats=stats)
    assert texts_of(records) == [
        [("Raqqa", "LOCATION")],
        [("Raqqa", "LOCATION"), ("YPG", "ACTOR")],
        [("Mosul", "LOCATION"), ("Raqqa", "LOCATION")],
        [("Mosul", "LOCATION"), ("Raqqa", "LOCATION")],
        [("Mosul", "LOCATION")],
    ]
    assert dict(stats.units) == {"codepoint": 1, "utf16": 2, "grapheme": 1, "any": 1}
    assert "UTF-16 code units in 2 documents" in stats.summary() and "grapheme clusters in 1 document" in stats.summary()


def test_label_studio_nbsp_and_combining_accents_are_one_unit_each_where_they_are():
    text = "Forces\u00a0entered Al\u00a0Bab and Ze\u0301ro\u0301 on Friday."
    bab, zero = text.index("Al\u00a0Bab"), text.index("Ze\u0301ro\u0301")
    task = ls_task(text, (bab, bab + 6, "Al\u00a0Bab", "LOCATION"), (zero, zero + 6, "Ze\u0301ro\u0301", "LOCATION"))
    assert texts_of(read(labelstudio, [task])) == [[("Al\u00a0Bab", "LOCATION"), ("Ze\u0301ro\u0301", "LOCATION")]]


def test_label_studio_skipped_and_unannotated_tasks_are_text_only_and_an_empty_result_is_empty():
    tasks = [
        {"id": 1, "data": {"text": "Nobody annotated this."}, "annotations": [], "predictions": []},
        {"id": 2, "data": {"text": "Skipped by its annotator."}, "annotations": [{"id": 3, "result": [], "was_cancelled": True}], "predictions": []},
        {"id": 3, "data": {"text": "Only a draft."}, "annotations": [], "drafts": [{"result": [{"value": {"start": 0, "end": 4, "text": "Only", "labels": ["ACTOR"]}}]}]},
        {"id": 4, "data": {"text": "Annotated: nothing here."}, "annotations": [{"id": 5, "result": [], "was_cancelled": False}]},
        {"id": 5, "data": {"text": "Skipped, then done: Mosul."}, "annotations": [{"id": 6, "result": [], "was_cancelled": True}, {"id": 7, "result": [{"value": {"start": 20, "end": 25, "text": "Mosul", "labels": ["LOCATION"]}}]}]},
    ]
    records = read(labelstudio, tasks)
    assert [(r.text, r.status) for r in records] == [
        ("Nobody annotated this.", UNANNOTATED),
        ("Skipped by its annotator.", UNANNOTATED),
        ("Only a draft.", UNANNOTATED),
        ("Annotated: nothing here.", EMPTY),
        ("Skipped, then done: Mosul.", ANNOTATED),
    ]
    assert texts_of(records) == [[], [], [], [], [("Mosul", "LOCATION")]]


def test_label_studio_several_predictions_each_under_its_model_version_and_tasks_without_any():
    text = "U.S.-backed Iraqi forces 👍 entered Mosul."
    region = lambda s, e, t, label, score: {"value": {"start": s, "end": e, "text": t, "labels": [label]}, "from_name": "label", "to_name": "text", "type": "labels", "score": score}
    tasks = [
        {
            "id": 1,
            "data": {"text": text},
            "annotations": [],
            "predictions": [
                {"model_version": "v1", "score": 0.5, "result": [region(12, 24, "Iraqi forces", "ACTOR", 0.9)]},
                {"model_version": "v2", "result": [region(12, 24, "Iraqi forces", "ACTOR", 0.7), region(36, 41, "Mosul", "LOCATION", None)]},
                {"result": [region(0, 4, "U.S.", "ACTOR", 0.2)]},
            ],
        },
        {"id": 2, "data": {"text": "No model saw this one."}, "annotations": [], "predictions": []},
    ]
    records = read(labelstudio, tasks, layer="model")
    assert [(r.meta.get("model"), r.status) for r in records] == [("v1", ANNOTATED), ("v2", ANNOTATED), (None, ANNOTATED), (None, UNANNOTATED)]
    assert texts_of(records) == [[("Iraqi forces", "ACTOR")], [("Iraqi forces", "ACTOR"), ("Mosul", "LOCATION")], [("U.S.", "ACTOR")], []]
    # A result's own score wins; the prediction's score is the default of its results.
    assert [[s.score for s in r.spans] for r in records[:3]] == [[0.9], [0.7, None], [0.2]]
    # The gold layer reads the annotations and nothing of the predictions.
    assert [r.status for r in read(labelstudio, tasks)] == [UNANNOTATED, UNANNOTATED]


def test_label_studio_quick_export_points_to_the_full_export():
    quick = [{"id": 1, "data": {"text": "Iraqi forces entered Mosul."}, "annotations": [], "predictions": [4, 5]}]
    with pytest.raises(FormatError, match="quick export; export the project in full") as error:
        read(labelstudio, quick, layer="model")
    assert error.value.field == "predictions[0]"
    assert [r.status for r in read(labelstudio, quick)] == [UNANNOTATED]  # the gold layer needs no prediction


def test_label_studio_json_min():
    # JSON_MIN as Label Studio 1.23 writes it: data fields at the top, regions under the control's name,
    # one item per annotation, newest first; a task nobody annotated has annotation_id null.
    items = [
        {"text": "Intro.\n\nMOSUL fell.", "id": 1, "label": [{"start": 8, "end": 13, "text": "\nMOSUL", "labels": ["LOCATION"]}], "annotator": 1, "annotation_id": 3, "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z", "lead_time": 4.5},
        {"text": "Intro.\n\nMOSUL fell.", "id": 1, "label": [{"start": 0, "end": 5, "text": "Intro", "labels": ["ACTOR"]}], "annotator": 2, "annotation_id": 2, "created_at": "2026-11-30T10:00:00Z", "updated_at": "2026-11-30T10:00:00Z", "lead_time": 2.0},
        {"text": "Ça va 👍 — Raqqa fell.", "id": 2, "label": [{"start": 10, "end": 15, "text": "Raqqa", "labels": ["LOCATION"]}], "annotator": "ann@example.org", "annotation_id": 4, "created_at": "x", "updated_at": "x", "lead_time": 1.0},
        {"text": "Annotated, no span.", "id": 3, "annotator": 1, "annotation_id": 5, "created_at": "x", "updated_at": "x", "lead_time": 1.0},
        {"text": "Nobody annotated this.", "id": 4, "annotator": None, "annotation_id": None, "created_at": None, "updated_at": None, "lead_time": None},
    ]
    records = read(labelstudio, json.dumps(items, indent=2, ensure_ascii=False))
    assert [(r.id, r.status) for r in records] == [("1", ANNOTATED), ("2", ANNOTATED), ("3", EMPTY), ("4", UNANNOTATED)]
    assert texts_of(records) == [[("MOSUL", "LOCATION")], [("Raqqa", "LOCATION")], [], []]


def test_label_studio_several_labels_on_one_region_and_overlapping_regions_follow_the_policy():
    text = "Forces of Mosul province attacked."
    task = ls_task(text, (0, 24, "Forces of Mosul province", "ACTOR"), (10, 15, "Mosul", "LOCATION"), (10, 24, "Mosul province", "LOCATION"))
    with pytest.raises(SpanError, match=r"span \[10, 15\) LOCATION 'Mosul' overlaps \[0, 24\) ACTOR 'Forces of Mosul province'"):
        read(labelstudio, [task])
    assert texts_of(read(labelstudio, [task], overlaps="keep-longest")) == [[("Forces of Mosul province", "ACTOR")]]
    assert texts_of(read(labelstudio, [task], overlaps="keep-first")) == [[("Forces of Mosul province", "ACTOR")]]
    assert texts_of(read(labelstudio, [task], overlaps="split")) == [[("Forces of", "ACTOR"), ("Mosul", "LOCATION"), ("province", "LOCATION")]]
    skipped = []
    records = read(labelstudio, [task], on_error=skipped.append)
    assert texts_of(records) == [[("Forces of Mosul province", "ACTOR")]]
    assert [type(e) for e in skipped] == [SpanError, SpanError] and "'Mosul' overlaps" in str(skipped[0])


def test_label_studio_export_keeps_source_and_origin_so_the_model_layer_round_trip_is_exact():
    text = "Ça va 👍 — Raqqa's Kurdish forces (YPG) took 2,000 prisoners."
    records = [
        Record("d1", text, [Span(10, 15, "LOCATION", "Raqqa", 0.25, "domain_ruler"), Span(18, 32, "ACTOR", "Kurdish forces", 0.9, "ner")], {"model": "news-extractor-1", "title": "t"}),
        Record("d1", text, [Span(34, 37, "ACTOR", "YPG", None, "manual-model")], {"model": "crf-2", "title": "t"}),
    ]
    exported = "".join(labelstudio.dump(records, layer="model"))
    tasks = json.loads(exported)
    assert len(tasks) == 1 and [p["model_version"] for p in tasks[0]["predictions"]] == ["news-extractor-1", "crf-2"]
    assert tasks[0]["predictions"][0]["result"][0]["meta"] == {"source": "domain_ruler"}
    back = read(labelstudio, exported, layer="model")
    assert [(r.id, r.text, r.meta, r.spans) for r in back] == [(r.id, r.text, r.meta, r.spans) for r in records]

    annotations = [Record("d2", "Iraqi forces entered Mosul.", [Span(0, 12, "ACTOR", "Iraqi forces", origin="model_edited", annotator="ann")], {"annotator": "ann"})]
    back = read(labelstudio, "".join(labelstudio.dump(annotations, layer="annotations")), layer="annotations")
    assert [(s.start, s.end, s.label, s.origin) for s in back[0].spans] == [(0, 12, "ACTOR", "model_edited")]


# ---------------------------------------------------------------- doccano's editor


DOCCANO_REPRO = '{"text":"Ça va 👍 — Raqqa\'s Kurdish forces (YPG) took 2,000 prisoners on Monday in Hasakah.","label":[[11,16,"LOCATION"]]}'


def test_doccano_editor_offsets_are_utf16_by_default():
    stats = ReadStats()
    records = read(doccano, DOCCANO_REPRO, stats=stats)
    assert texts_of(records) == [[("Raqqa", "LOCATION")]]
    assert dict(stats.units) == {"utf16": 1}
    # doccano's API writes code points: --offsets codepoint reads those (here: the editor's file, shifted).
    assert texts_of(read(doccano, DOCCANO_REPRO, offsets="codepoint")) == [[("aqqa'", "LOCATION")]]


def test_doccano_every_span_of_the_probe_sentence_in_each_editor_mode():
    text = "Ça va 👍 — Raqqa's Kurdish forces (YPG) took 2,000 prisoners on Monday in Hasakah 🇸🇾."
    words = [("Raqqa", "LOCATION"), ("Kurdish forces", "ACTOR"), ("YPG", "ACTOR"), ("2,000 prisoners", "QUANTITY"), ("Hasakah", "LOCATION")]
    spans = [(text.index(w), text.index(w) + len(w), label) for w, label in words]
    utf16 = [[s + 1, e + 1, label] for s, e, label in spans]  # one emoji before them all: two UTF-16 units
    grapheme = [[s, e, label] for s, e, label in spans]  # every character before them is one cluster
    assert texts_of(read(doccano, json.dumps({"text": text, "label": utf16}, ensure_ascii=False))) == [words]
    assert texts_of(read(doccano, json.dumps({"text": text, "label": grapheme}, ensure_ascii=False), offsets="grapheme")) == [words]


def test_doccano_grapheme_mode_with_flags_zwj_combining_accents_and_crlf():
    text = "🇮🇶 e\u0301\r\nMosul 👩\u200d👩\u200d👧 Raqqa"
    lines = {
        "grapheme": [[4, 9, "LOCATION"], [12, 17, "LOCATION"]],
        "utf16": [[9, 14, "LOCATION"], [24, 29, "LOCATION"]],
        "codepoint": [[7, 12, "LOCATION"], [19, 24, "LOCATION"]],
    }
    for unit, label in lines.items():
        line = json.dumps({"text": text, "label": label}, ensure_ascii=False)
        assert texts_of(read(doccano, line, offsets=unit)) == [[("Mosul", "LOCATION"), ("Raqqa", "LOCATION")]], unit
    # The entities shape (a project with relations) the same way.
    entities = {"text": text, "entities": [{"id": 1, "label": "LOCATION", "start_offset": 4, "end_offset": 9}], "relations": []}
    assert texts_of(read(doccano, entities, offsets="grapheme")) == [[("Mosul", "LOCATION")]]


def test_doccano_offsets_inside_a_character_are_an_error_naming_the_span():
    line = json.dumps({"text": "👍 Mosul", "label": [[1, 8, "LOCATION"]]}, ensure_ascii=False)
    with pytest.raises(SpanError, match=r"span \[1, 8\) LOCATION does not fall on character boundaries in UTF-16"):
        read(doccano, line)
    with pytest.raises(SpanError, match=r"outside the text \(length 8 in UTF-16 code units\)"):
        read(doccano, json.dumps({"text": "👍 Mosul", "label": [[3, 9, "LOCATION"]]}, ensure_ascii=False))


def test_doccano_no_label_key_is_unannotated_and_an_empty_label_list_is_empty():
    lines = "\n".join(
        [
            '{"id": 1, "text": "Never opened.", "Comments": []}',
            '{"id": 2, "text": "Opened, nothing found.", "label": [], "Comments": []}',
            '{"id": 3, "text": "Relations project, nothing found.", "entities": [], "relations": []}',
            '{"id": 4, "text": "Mosul fell.", "label": [[0, 5, "LOCATION"]]}',
        ]
    )
    records = read(doccano, lines)
    assert [r.status for r in records] == [UNANNOTATED, EMPTY, EMPTY, ANNOTATED]
    assert texts_of(records) == [[], [], [], [("Mosul", "LOCATION")]]


def test_doccano_overlaps_and_skip_invalid_skip_spans_not_documents():
    text = "Iraqi forces entered Mosul and Raqqa."
    line = json.dumps({"id": 9, "text": text, "label": [[0, 12, "ACTOR"], [6, 12, "ACTOR"], [21, 26, "LOCATION"], [31, 36, "WEAPON"], [31, 99, "LOCATION"]]})
    with pytest.raises(SpanError):
        read(doccano, line, labels=KNOWN)
    skipped = []
    records = read(doccano, line, labels=KNOWN, on_error=skipped.append)
    assert texts_of(records) == [[("Iraqi forces", "ACTOR"), ("Mosul", "LOCATION")]]
    assert sorted(e.field for e in skipped) == ["label[1]", "label[3]", "label[4]"]
    assert all(isinstance(e, SpanError) and e.line == 1 for e in skipped)
    assert "unknown label 'WEAPON'" in str(skipped[0]) and "outside the text" in str(skipped[1]) and "overlaps" in str(skipped[2])
    # A document none of whose spans is sound is skipped whole (a record error, not a span error).
    bad = json.dumps({"id": 10, "text": "Mosul.", "label": [[0, 50, "LOCATION"]]})
    skipped = []
    assert read(doccano, bad, on_error=skipped.append) == []
    assert len(skipped) == 1 and not isinstance(skipped[0], SpanError) and "no span of the document is sound" in str(skipped[0])


def test_doccano_export_counts_in_the_unit_the_editor_reads():
    text = "Ça va 👍 — Raqqa fell; 🇮🇶 e\u0301\r\nMosul next."
    records = [Record("d", text, [Span(text.index("Raqqa"), text.index("Raqqa") + 5, "LOCATION"), Span(text.index("Mosul"), text.index("Mosul") + 5, "LOCATION")])]
    for unit in ("utf16", "codepoint", "grapheme"):
        out = "".join(FORMATS["doccano"].dump(records, offsets=unit))
        assert texts_of(read(doccano, out, offsets=unit)) == [[("Raqqa", "LOCATION"), ("Mosul", "LOCATION")]], unit
    default = json.loads("".join(doccano.dump(records)))
    assert default["label"][0][:2] == [11, 16]  # UTF-16: the emoji counts two
    entities = json.loads("".join(FORMATS["doccano-entities"].dump(records, offsets="grapheme")))
    assert [(e["start_offset"], e["end_offset"]) for e in entities["entities"]] == [(10, 15), (26, 31)]
    # A span edge inside a grapheme cluster cannot be written in graphemes: it is reported and left out.
    problems = []
    cut = [Record("c", "Ze\u0301ro fell.", [Span(0, 2, "LOCATION")])]
    out = json.loads("".join(doccano.dump(cut, report=lambda *a: problems.append(a), offsets="grapheme")))
    assert out["label"] == [] and len(problems) == 1 and "inside a grapheme cluster" in problems[0][2]


# ---------------------------------------------------------------- the pieces


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(texts)
def test_units_convert_both_ways_at_every_boundary(text):
    units = Units(text)
    for unit in ("codepoint", "utf16", "grapheme"):
        for position in range(len(text) + 1):
            counted = units.to_unit(unit, position)
            if counted is not None:
                assert units.from_unit(unit, counted) == position
    assert units.to_unit("utf16", len(text)) == len(text.encode("utf-16-le", "surrogatepass")) // 2
    assert units.graphemes()[-1] == len(text)
    # Every UTF-16 offset, against the encoding itself: a boundary maps to its code point, the rest to None.
    reference = {len(text[:i].encode("utf-16-le", "surrogatepass")) // 2: i for i in range(len(text) + 1)}
    total = len(text.encode("utf-16-le", "surrogatepass")) // 2
    assert {u: units.from_utf16(u) for u in range(-2, total + 3)} == {u: reference.get(u) for u in range(-2, total + 3)}


def test_overlap_policies_on_nested_and_crossing_spans():
    text = "Iraqi forces of Mosul province"
    outer, inner, cross = Span(0, 21, "ACTOR"), Span(16, 21, "LOCATION"), Span(16, 30, "LOCATION")
    kept, refused, _ = resolve([outer, inner, inner, cross], "refuse", text)
    assert kept == [outer] and [s for s, _ in refused] == [inner, cross]  # the duplicate counts once
    assert resolve([inner, outer, cross], "keep-longest", text)[0] == [outer]
    assert resolve([cross, inner], "keep-first", text)[0] == [cross]
    pieces, _, changed = resolve([outer, inner], "split", text)
    assert [(text[s.start : s.end], s.label) for s in pieces] == [("Iraqi forces of", "ACTOR"), ("Mosul", "LOCATION")] and changed == 1
    assert resolve([Span(0, 5, "ACTOR"), Span(6, 12, "ACTOR")], "split", text) == ([Span(0, 5, "ACTOR"), Span(6, 12, "ACTOR")], [], 0)


def test_a_unit_that_cuts_words_where_another_does_not_is_pointed_out():
    # doccano's grapheme mode read as the default UTF-16: the spans shift into words, the report says so.
    flags = json.dumps({"text": "🇮🇶 🇸🇾 Mosul and Raqqa fell.", "label": [[4, 9, "LOCATION"], [14, 19, "LOCATION"]]}, ensure_ascii=False)
    stats = ReadStats()
    read(doccano, flags, stats=stats)
    assert dict(stats.suspect) == {("utf16", "grapheme"): 1}
    assert "CHECK THE UNIT: in 1 document spans cut words in UTF-16 code units but not in grapheme clusters (--offsets grapheme?)" in stats.summary()
    stats = ReadStats()
    assert texts_of(read(doccano, flags, stats=stats, offsets="grapheme")) == [[("Mosul", "LOCATION"), ("Raqqa", "LOCATION")]]
    assert not stats.suspect
    # The editor's file read as code points (the API's unit): pointed back to UTF-16.
    stats = ReadStats()
    read(doccano, DOCCANO_REPRO, stats=stats, offsets="codepoint")
    assert dict(stats.suspect) == {("codepoint", "utf16"): 1}
    stats = ReadStats()
    read(doccano, DOCCANO_REPRO, stats=stats)
    assert not stats.suspect
