"""The canonical JSONL reader and writer, without a database."""

import json

import pytest

from annotator.formats import FormatError, Record, Span, jsonl
from annotator.formats.records import check_spans


def test_round_trip_keeps_offsets_and_extras():
    text = "Émile 👍 met IS in Mosul.\r\nNext\tline"
    start = text.index("Mosul")
    record = Record(id="a", text=text, spans=[Span(start, start + 5, "LOCATION", text="Mosul", score=0.5)], meta={"k": 1})
    lines = list(jsonl.dump([record]))
    assert len(lines) == 1 and lines[0].endswith("\n")
    (back,) = jsonl.load(lines)
    assert back.text == text and back.spans == record.spans and back.meta == {"k": 1}
    check_spans(back, {"LOCATION"})


@pytest.mark.parametrize(
    "line, expected",
    [
        ('{"text": "abc", "spans": [', "1: broken JSON"),
        ('["abc"]', "1: each line must be a JSON object"),
        ('{"spans": []}', "1: field 'text'"),
        ('{"text": "abc", "spans": [{"start": 0, "end": 2}]}', "1: field 'spans[0]': is missing 'label'"),
        ('{"text": "abc", "spans": [{"start": "0", "end": 2, "label": "A"}]}', "field 'spans[0].start'"),
    ],
)
def test_malformed_lines_say_which_line_and_field(line, expected):
    with pytest.raises(FormatError) as error:
        list(jsonl.load([line]))
    assert expected in str(error.value)


def test_error_names_the_right_line_number():
    good = json.dumps({"text": "fine"})
    with pytest.raises(FormatError) as error:
        list(jsonl.load([good + "\n", "\n", "{oops\n"]))
    assert error.value.line == 3
    assert str(error.value.at("in.jsonl")).startswith("in.jsonl:3: broken JSON")


def test_empty_file_is_an_error():
    with pytest.raises(FormatError, match="empty"):
        list(jsonl.load(["\n", "  \n"]))


@pytest.mark.parametrize(
    "spans, message",
    [
        ([Span(0, 99, "A")], "outside the text"),
        ([Span(2, 2, "A")], "is empty"),
        ([Span(0, 3, "A", text="xyz")], "covers 'abc' but its text is 'xyz'"),
        ([Span(0, 3, "B")], "unknown label 'B'"),
        ([Span(0, 3, "A"), Span(2, 5, "A")], "overlaps"),
    ],
)
def test_check_spans_refuses_bad_spans(spans, message):
    record = Record(id="d1", text="abc def", spans=spans, line=7)
    with pytest.raises(FormatError) as error:
        check_spans(record, {"A"})
    assert message in str(error.value) and error.value.line == 7
