"""Bad input in each format says where and what ("line: field: what is wrong"); with on_error the rest is read."""

import io
import json

import pytest

from annotator.formats import FormatError, brat, check_spans, conll, docbin, doccano, labelstudio, prodigy


def first_error(module, text, **options):
    with pytest.raises(FormatError) as error:
        for record in module.load(io.StringIO(text, newline=""), name="in", **options):
            check_spans(record, {"ACTOR", "LOCATION"})
    return error.value


@pytest.mark.parametrize(
    "module, text, line, message",
    [
        (prodigy, '{"text": "Iraqi forces"}\n{"text": "x", "spans": [{"start": 0, "end": 1}]}', 2, "is missing 'label'"),
        (
            prodigy,
            json.dumps({"text": "Iraqi forces", "tokens": [{"start": 0, "end": 5}, {"start": 6, "end": 12}],
                        "spans": [{"start": 0, "end": 12, "token_start": 0, "token_end": 0, "label": "ACTOR"}]}),
            1,
            "tokens 0..0 cover [0, 5) but the span is [0, 12)",
        ),
        (doccano, '{"text": "Iraqi forces", "label": [[0, 5, "WEAPON"]]}', 1, "unknown label 'WEAPON'"),
        (doccano, '{"text": "Iraqi forces", "label": [[0, 5]]}', 1, "must be [start, end, label]"),
        (doccano, '{"text": "Iraqi", "label": [[0, 50, "ACTOR"]]}', 1, "outside the text"),
        (doccano, '{"text": "Iraqi forces", "label": [[0, 8, "ACTOR"], [6, 12, "ACTOR"]]}', 1, "overlaps"),
        (labelstudio, '[{"data": {"text": "Iraqi"}, "annotations": [{"result": [{"value": {"start": 0, "end": 5, "text": "Mosul", "labels": ["LOCATION"]}}]}]}]', 1, "its text is 'Mosul'"),
        (labelstudio, '[\n{"data": {"text": "a"}},\n{"data": {"text": "b"}} {"data": {}}\n]', 3, "expected ',' or ']'"),
        (conll, "-DOCSTART- -X- -X- O\n\nIraqi B-ACTOR\nforces L-ACTOR\nin O\nMosul I-LOCATION\n", 6, "does not continue"),
        (conll, "Iraqi\n", 1, "expected a token and a tag"),
        (prodigy, "", None, "empty"),
        (doccano, "\n\n", None, "empty"),
    ],
)
def test_errors_say_line_and_what(module, text, line, message):
    error = first_error(module, text)
    assert error.line == line and message in str(error)


def test_skip_invalid_reads_the_rest():
    lines = '{"text": "Good one.", "label": []}\n{"text": broken}\n{"text": "x", "label": [[0, 1]]}\n{"text": "Fine.", "label": [[0, 4, "ACTOR"]]}\n'
    problems = []
    records = list(doccano.load(io.StringIO(lines), on_error=problems.append))
    assert [r.text for r in records] == ["Good one.", "Fine."]
    assert [p.line for p in problems] == [2, 3]


def test_brat_checks_the_text_column():
    ann = "T1\tACTOR 0 5\tIraqi\nT2\tLOCATION 10 15\tMosul\n"
    with pytest.raises(FormatError, match="T2 .* covers 'es in' but its text is 'Mosul'"):
        list(brat.load([("doc", "Iraqi forces in Mosul", ann)]))
    # Byte offsets from another tool are converted when the text column agrees with them.
    (record,) = brat.load([("doc", "Zoë in Mosul", "T1\tLOCATION 8 13\tMosul\n")])
    assert [(s.start, s.end) for s in record.spans] == [(7, 12)]


def test_not_a_docbin():
    with pytest.raises(FormatError, match="not a .spacy"):
        list(docbin.load(io.BytesIO(b"this is not zlib")))
