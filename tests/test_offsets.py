"""Span arithmetic, without a database."""

from annotator import offsets
from annotator.extraction import token_offsets

TEXT = "U.S.-backed Iraqi forces took al-Qaim, near Syria."
TOKENS = token_offsets(TEXT)


def covered(span):
    return TEXT[span[0] : span[1]] if span else None


def test_snap_widens_a_partial_selection_to_whole_tokens():
    start = TEXT.index("raqi")
    assert covered(offsets.snap(start, start + 8, TOKENS)) == "Iraqi forces"


def test_snap_keeps_exact_token_selection():
    start = TEXT.index("al-Qaim")
    assert covered(offsets.snap(start, start + len("al-Qaim"), TOKENS)) == "al-Qaim"


def test_snap_drops_whitespace_around_a_selection():
    start = TEXT.index(" Iraqi")
    assert covered(offsets.snap(start, start + len(" Iraqi "), TOKENS)) == "Iraqi"


def test_snap_of_whitespace_only_is_none():
    start = TEXT.index(" Iraqi")
    assert offsets.snap(start, start + 1, TOKENS) is None
    assert offsets.snap(5, 5, TOKENS) is None


def test_step_widens_and_narrows_each_edge_by_one_token():
    start = TEXT.index("Iraqi")
    span = (start, start + len("Iraqi"))
    assert covered(offsets.step(*span, TOKENS, "end", 1)) == "Iraqi forces"
    wider = offsets.step(*span, TOKENS, "start", -1)
    assert covered(wider) == "U.S.-backed Iraqi"
    assert covered(offsets.step(*wider, TOKENS, "start", 1)) == "Iraqi"


def test_step_never_empties_a_span():
    start = TEXT.index("Iraqi")
    span = (start, start + len("Iraqi"))
    assert offsets.step(*span, TOKENS, "end", -1) == span
    assert offsets.step(*span, TOKENS, "start", 1) == span


class S:
    def __init__(self, start, end):
        self.start, self.end = start, end


def test_overlapping_finds_a_clash_but_not_touching_spans():
    spans = [S(0, 5), S(10, 15)]
    assert offsets.overlapping(5, 10, spans) is None
    assert offsets.overlapping(4, 6, spans) is spans[0]
    assert offsets.overlapping(0, 20, spans, ignore=spans[0]) is spans[1]


def test_segments_cover_the_text_exactly_once():
    spans = [S(12, 24), S(30, 37)]
    pieces = offsets.segments(TEXT, spans)
    assert "".join(piece for _, piece, _ in pieces) == TEXT
    assert [(o, p) for o, p, s in pieces if s] == [(12, "Iraqi forces"), (30, "al-Qaim")]
    assert all(TEXT[o : o + len(p)] == p for o, p, _ in pieces)
