"""Hypothesis strategies: texts that break naive offset code, and non-overlapping spans on them."""

from hypothesis import strategies as st

from annotator.formats import Record, Span

LABELS = ("ACTOR", "LOCATION", "QUANTITY")
# Pieces that trip offset arithmetic: astral emoji (2 UTF-16 units, 4 UTF-8 bytes), combining marks,
# CJK without spaces, CRLF, tabs, runs of spaces, non-breaking space, punctuation glued to words.
PIECES = [
    "Mosul", "Iraqi", "forces", "U.S.-backed", "Raqqa's", "200", "km", "e\u0301", "Zoë", "中文", "東京都",
    "👍", "🇮🇶", "👩‍👩‍👧", "\r\n", "\n\n", "\t", " ", "  ", "\u00a0", ".", ",", "(", ")", '"', "—", "50%",
]
words = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40)
texts = words.map(lambda parts: " ".join(parts)).filter(lambda t: t.strip())


@st.composite
def records(draw, trimmed: bool = False, scores: bool = False, index: int = 0) -> Record:
    """A record with random non-overlapping spans; `trimmed` spans neither begin nor end with whitespace."""
    text = draw(texts)
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=12)))
    spans = []
    for start, end in zip(cuts[::2], cuts[1::2]):
        if trimmed:
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
        if start < end:
            label = draw(st.sampled_from(LABELS))
            score = draw(st.floats(0, 1)) if scores else None
            spans.append(Span(start, end, label, score=score))
    meta = draw(st.dictionaries(st.sampled_from(["title", "source", "url"]), st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8), max_size=2))
    return Record(id=f"doc-{index}-{draw(st.integers(0, 10**6))}", text=text, spans=spans, meta=meta)


def documents(**options):
    """Lists of records with distinct ids."""
    return st.lists(records(**options), min_size=1, max_size=4, unique_by=lambda r: r.id)


def key(record: Record, with_meta: bool = True):
    """What a round trip must keep: id, text, meta, and each span's offsets and label."""
    spans = sorted((s.start, s.end, s.label) for s in record.spans)
    return (record.id, record.text, spans, record.meta if with_meta else None)
