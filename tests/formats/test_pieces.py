"""The shared pieces: spaCy-equal token offsets, tag schemes, offset units, streamed JSON, format guessing."""


import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from .reference import spacy_offsets
from annotator.formats import FormatError, Span, detect_format, jsonio
from annotator.formats.tags import iob2, spans_of
from annotator.formats.tokens import align, layout, token_offsets
from annotator.formats.units import Units, locate

from .strategies import texts

_nlp = spacy.blank("en")


@settings(max_examples=300, deadline=None)
@given(texts)
def test_token_offsets_and_layout_are_spacys(text):
    assert token_offsets(text) == spacy_offsets(text)
    assert layout(text) == [(t.idx, t.idx + len(t.text), bool(t.whitespace_)) for t in _nlp.tokenizer(text)]


@settings(max_examples=200, deadline=None)
@given(texts, st.data())
def test_align_cuts_tokens_at_span_edges(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    alignment = align(text, [Span(start, end, "ACTOR")])
    assert "".join(text[s:e] + (" " if ws else "") for s, e, ws in alignment.tokens) == text
    for span, first, after in alignment.spans:
        assert (alignment.tokens[first][0], alignment.tokens[after - 1][1]) == (span.start, span.end)
    assert len(alignment.spans) + len(alignment.refused) == 1


@pytest.mark.parametrize(
    "tags, spans",
    [
        (["B-A", "I-A", "O", "B-B"], [(0, 2, "A"), (3, 4, "B")]),  # IOB2
        (["I-A", "I-A", "B-A", "O", "I-B"], [(0, 2, "A"), (2, 3, "A"), (4, 5, "B")]),  # IOB1
        (["B-A", "L-A", "U-B", "O"], [(0, 2, "A"), (2, 3, "B")]),  # BILOU
        (["B-A", "I-A", "E-A", "S-B"], [(0, 3, "A"), (3, 4, "B")]),  # IOBES
    ],
)
def test_tag_schemes(tags, spans):
    assert spans_of(tags) == spans


@pytest.mark.parametrize("tags", [["B-A", "U-A"], ["I-A", "L-A", "O", "L-B"], ["B-A", "E-B"], ["X"], ["B-A", "L-A", "E-A"]])
def test_broken_tag_sequences_are_refused(tags):
    with pytest.raises(FormatError):
        spans_of(tags)


def test_iob2_out():
    assert iob2(5, [(0, 2, "A"), (2, 3, "A")]) == ["B-A", "I-A", "B-A", "O", "O"]


def test_units_convert_utf16_and_utf8_offsets():
    text = "a👍é Mosul"
    units = Units(text)
    assert text[4:9] == "Mosul"
    assert locate(units, 5, 10, "Mosul") == (4, 9)  # UTF-16: the emoji is two units
    assert locate(units, 8, 13, "Mosul", allow=("utf16", "utf8")) == (4, 9)  # UTF-8: 4 + 2 bytes
    assert locate(units, 4, 9, "Mosul") == (4, 9)
    assert units.from_utf16(2) is None  # inside the surrogate pair


def test_json_values_stream_arrays_lines_and_pretty_objects_with_their_lines():
    assert list(jsonio.values(['[\n', '  {"a": 1},\n', '  {"b": [1,\n', "2]}\n", "]\n"])) == [(2, {"a": 1}), (3, {"b": [1, 2]})]
    assert list(jsonio.values(['{"a": 1}\n', "\n", '{"a":\n', " 2}\n"])) == [(1, {"a": 1}), (3, {"a": 2})]
    with pytest.raises(FormatError, match="^4: broken JSON"):
        list(jsonio.values(['{"a": 1}\n', "\n", "\n", '{"a": oops}\n']))
    with pytest.raises(FormatError, match="not closed"):
        list(jsonio.values(['[{"a": 1},\n']))
    skipped = []
    assert list(jsonio.values(['{"a": 1}\n', "{oops\n", '{"a": 3}\n'], on_error=skipped.append)) == [(1, {"a": 1}), (3, {"a": 3})]
    assert [e.line for e in skipped] == [2]


@pytest.mark.parametrize(
    "name, head, expected",
    [
        ("a.jsonl", '{"id": "x", "text": "t", "spans": []}', "jsonl"),
        ("a.json", '[{"data": {"text": "t"}}]', "labelstudio"),
        ("a.jsonl", '{"data": {"text": "t"}, "annotations": []}', "labelstudio"),
        ("a.jsonl", '{"text": "t", "tokens": [], "spans": []}', "prodigy"),
        ("a.jsonl", '{"text": "t", "label": [[0, 1, "A"]]}', "doccano"),
        ("a.jsonl", '{"text": "t", "entities": []}', "doccano"),
        ("train.spacy", None, "spacy"),
        ("x.conll", None, "conll"),
        ("docs/", None, "txt"),
        ("a.txt", None, "txt"),
    ],
)
def test_detect_format(name, head, expected):
    assert detect_format(name, head) == expected
