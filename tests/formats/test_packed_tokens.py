"""Packed token offsets: what a Document stores, and the import's shortcut to them."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .reference import spacy_offsets
from annotator.formats.tokens import packed_token_offsets, token_offsets
from annotator.offsets import pack_offsets, unpack_offsets

from .strategies import PIECES

# Ascending, non-overlapping (start, end) pairs, empty tokens and gaps of 255 and more (the escape) included.
offsets = st.lists(st.tuples(st.integers(0, 70_000), st.integers(0, 70_000)), max_size=60).map(
    lambda pairs: [(start, start + length) for start, length in _ascending(pairs)]
)


def _ascending(pairs):
    position = 0
    for gap, length in pairs:
        position += gap
        yield position, length
        position += length


@settings(max_examples=300, deadline=None)
@given(offsets)
def test_pack_and_unpack_round_trip(tokens):
    packed = pack_offsets(tokens)
    assert unpack_offsets(packed) == tokens
    assert unpack_offsets(memoryview(packed)) == tokens
    assert pack_offsets([list(t) for t in tokens]) == packed


def test_a_token_takes_two_bytes_in_ordinary_text():
    text = "Iraqi forces pressed Islamic State fighters in Mosul's Old City on Friday."
    packed = pack_offsets(spacy_offsets(text))
    assert len(packed) == 2 * len(spacy_offsets(text))
    assert unpack_offsets(b"") == [] and pack_offsets([]) == b""


def test_offsets_that_cannot_be_packed_are_refused():
    with pytest.raises(ValueError):
        pack_offsets([(5, 8), (6, 9)])  # overlapping
    with pytest.raises(ValueError):
        pack_offsets([(5, 3)])  # ends before it starts
    with pytest.raises(ValueError):
        pack_offsets([(0, 1 << 33)])
    with pytest.raises(ValueError):
        unpack_offsets(b"\x01\x02\x03")  # cut short
    with pytest.raises(ValueError):
        unpack_offsets(b"\x01\xff\x00\x01\x00\x00\x02")
    with pytest.raises(ValueError):
        unpack_offsets(b"\x01\xff\x00\x01")


# Texts with the pieces that trip offset arithmetic, plus runs of whitespace and words of 255
# characters and more (values that need the escape), in any order.
LONG = ["x" * 300, "y" * 254 + ".", " " * 260, "\n" * 255, "\t \u00a0" * 90]
long_texts = st.lists(st.sampled_from(PIECES + LONG), min_size=1, max_size=30).map(" ".join).filter(str.strip)


@settings(max_examples=300, deadline=None)
@given(long_texts)
def test_packed_token_offsets_are_spacys_packed(text):
    assert packed_token_offsets(text) == pack_offsets(spacy_offsets(text))
    assert token_offsets(text) == spacy_offsets(text)


def test_the_pieces_cache_gives_the_same_bytes_the_second_time():
    text = "  Tens of thousands of civilians fled (about 350,000 people) from Mosul's Old City.\n\nU.S.-backed forces"
    first = packed_token_offsets(text)
    assert packed_token_offsets(text) == first == pack_offsets(spacy_offsets(text))
    assert packed_token_offsets("   ") == b"" == pack_offsets(spacy_offsets("   "))
