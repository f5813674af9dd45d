"""units.in_unit: the one conversion doccano's and Label Studio's writers share (offsets in another unit)."""

from annotator.formats import Span
from annotator.formats.records import Record
from annotator.formats.units import CODEPOINT, GRAPHEME, UTF16, in_unit


def _placed(record, unit):
    told = []
    placed = list(in_unit(record, unit, lambda rec, span, message: told.append((span, message))))
    return [(n, s.label, start, end) for n, s, start, end in placed], told


def test_spans_come_in_offset_order_with_their_place_and_ascii_is_left_as_it_is():
    record = Record("d", "Mosul and Erbil", [Span(10, 15, "LOC"), Span(0, 5, "LOC")])
    for unit in (CODEPOINT, UTF16, GRAPHEME):
        assert _placed(record, unit) == ([(0, "LOC", 0, 5), (1, "LOC", 10, 15)], [])


def test_utf16_counts_an_astral_character_twice():
    text = "😀 Mosul"  # the emoji is one code point, two UTF-16 units
    record = Record("d", text, [Span(2, 7, "LOC")])
    assert _placed(record, UTF16) == ([(0, "LOC", 3, 8)], [])
    assert _placed(record, CODEPOINT) == ([(0, "LOC", 2, 7)], [])


def test_a_span_the_unit_cannot_hold_is_told_and_left_out_but_keeps_its_place():
    text = "e\u0301 Mosul"  # e + combining accent: one grapheme cluster of two code points
    inside, after = Span(1, 2, "X"), Span(3, 8, "LOC")
    placed, told = _placed(Record("d", text, [after, inside]), GRAPHEME)
    assert placed == [(1, "LOC", 2, 7)]  # n = 1: the skipped span still counts in the order
    assert told == [(inside, "an edge falls inside a grapheme cluster, which offsets in grapheme cannot hold")]


def test_crlf_is_one_grapheme_even_in_ascii_text():
    record = Record("d", "a\r\nMosul", [Span(3, 8, "LOC")])
    assert _placed(record, GRAPHEME) == ([(0, "LOC", 2, 7)], [])
    assert _placed(record, UTF16) == ([(0, "LOC", 3, 8)], [])
