"""Reference implementations the fast paths of the formats are checked against."""

from functools import lru_cache

import spacy


@lru_cache(maxsize=1)
def _tokenizer():
    return spacy.blank("en").tokenizer


def spacy_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-space token, straight from spaCy's blank English tokenizer on the whole text."""
    return [(t.idx, t.idx + len(t.text)) for t in _tokenizer()(text) if not t.is_space]
