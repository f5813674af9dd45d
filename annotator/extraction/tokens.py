"""Token boundaries used to snap hand-made selections to whole tokens."""

from functools import lru_cache

import spacy


@lru_cache(maxsize=1)
def _tokenizer():
    # The blank English tokenizer is the same rule set the pretrained
    # pipeline uses, and loads in milliseconds without any model weights.
    return spacy.blank("en").tokenizer


def token_offsets(text: str) -> list[tuple[int, int]]:
    """Return (start, end) character offsets of each non-space token of `text`."""
    return [(t.idx, t.idx + len(t.text)) for t in _tokenizer()(text) if not t.is_space]
