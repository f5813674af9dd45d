"""spaCy's token boundaries at import speed, and tokens that hold every span.

spaCy's tokenizer first cuts the text at whitespace, then cuts each
whitespace-free chunk by its prefix, suffix, infix and exception rules;
nothing crosses a chunk. So the cuts of a chunk can be cached by its text:
news text repeats its words, and a dict lookup per word runs at ~3M words/s
against spaCy's ~100-600k. The cuts still come from spaCy's own blank English
tokenizer (the one `annotator.extraction.token_offsets` uses), so the offsets
are spaCy's, which the tests check over random text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .records import Span

_CHUNK = re.compile(r"\S+")
_CACHE_LIMIT = 300_000  # distinct chunks kept; ~100 bytes each
_cache: dict[str, tuple[tuple[int, int], ...]] = {}


@lru_cache(maxsize=1)
def _tokenizer():
    import spacy

    return spacy.blank("en").tokenizer


_WHOLE = ((0, -1),)  # the cuts of a chunk that is one token: most chunks


def _cuts(chunk: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of the tokens of one whitespace-free chunk, relative to it (_WHOLE if one token)."""
    cuts = _cache.get(chunk)
    if cuts is None:
        cuts = tuple((t.idx, t.idx + len(t.text)) for t in _tokenizer()(chunk))
        if len(cuts) == 1:
            cuts = _WHOLE
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[chunk] = cuts
    return cuts


def token_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-space token of `text`, as spaCy's blank English tokenizer has them."""
    out: list[tuple[int, int]] = []
    append = out.append
    known = _cache.get
    for match in _CHUNK.finditer(text):
        chunk = match.group()
        cuts = known(chunk) or _cuts(chunk)
        if cuts is _WHOLE:
            append(match.span())
        else:
            base = match.start()
            for start, end in cuts:
                append((base + start, base + end))
    return out


def layout(text: str) -> list[tuple[int, int, bool]]:
    """Every token of `text` the way a spaCy Doc has it: (start, end, followed_by_space).

    As in spaCy, one plain space after a token is its trailing whitespace and
    any other run of whitespace is a token of its own, so the tokens and their
    flags spell the text exactly (`Doc(words, spaces).text == text`).
    """
    out: list[tuple[int, int, bool]] = []
    position = 0
    for start, end in token_offsets(text):
        _gap(text, position, start, out)
        out.append((start, end, False))
        position = end
    _gap(text, position, len(text), out)
    return out


def _gap(text: str, start: int, end: int, out: list) -> None:
    if start >= end:
        return
    if out and text[start] == " " and not text[out[-1][0]].isspace():
        s, e, _ = out[-1]
        out[-1] = (s, e, True)
        start += 1
    if start < end:
        out.append((start, end, False))


@dataclass
class Alignment:
    """Tokens of a text cut so that spans start and end on token boundaries.

    `tokens` are (start, end, followed_by_space) as in `layout`; `spans` pairs
    each span it holds with its first token and the token after its last;
    `refused` lists the spans no token sequence can hold, with the reason.
    """

    tokens: list[tuple[int, int, bool]]
    spans: list[tuple[Span, int, int]] = field(default_factory=list)
    refused: list[tuple[Span, str]] = field(default_factory=list)


def align(text: str, spans: Iterable[Span]) -> Alignment:
    """Cut spaCy's tokens of `text` at the edges of `spans` (a span edge inside a word splits it).

    A span that begins or ends with whitespace is refused: token formats drop
    or fold whitespace, so they could not give back its exact offsets.
    """
    kept: list[Span] = []
    refused: list[tuple[Span, str]] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if text[span.start].isspace() or text[span.end - 1].isspace():
            refused.append((span, "begins or ends with whitespace, which tokens cannot hold"))
        else:
            kept.append(span)
    edges = sorted({s.start for s in kept} | {s.end for s in kept})
    tokens: list[tuple[int, int, bool]] = []
    next_edge = 0
    for start, end, space in layout(text):
        while next_edge < len(edges) and edges[next_edge] <= start:
            next_edge += 1
        while next_edge < len(edges) and edges[next_edge] < end:
            tokens.append((start, edges[next_edge], False))
            start = edges[next_edge]
            next_edge += 1
        tokens.append((start, end, space))
    first = {start: i for i, (start, _, _) in enumerate(tokens)}
    after = {end: i + 1 for i, (_, end, _) in enumerate(tokens)}
    return Alignment(tokens, [(s, first[s.start], after[s.end]) for s in kept], refused)
