"""spaCy's token boundaries at import speed, packed for storage, and tokens that hold every span.

The one home of token offsets: `token_offsets(text)` gives the (start, end)
of spaCy's tokens (the editor snaps to them, agreement tags them);
`packed_token_offsets(text)` gives the same offsets packed the way a
Document stores them (`annotator.offsets.pack_offsets` / `unpack_offsets`), about two bytes a
token, and is what an import computes: see there for how it runs at
millions of tokens a second against spaCy's ~100-600 thousand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ..lazy import lazy_module
from ..offsets import pack_offsets, pack_values, unpack_offsets
from ..spans import Span

spacy = lazy_module("spacy")  # imported when the tokenizer is first needed (annotator/lazy.py)

_PIECE = re.compile(r"\s*\S+")  # a whitespace-free chunk with the whitespace before it
_SPACE = re.compile(r"\s*")
_CACHE_LIMIT = 300_000  # distinct pieces kept; ~120 bytes each
_cache: dict[str, bytes] = {}
_values: dict[bytes, bytes] = {}


@lru_cache(maxsize=1)
def _tokenizer():
    """spaCy's blank English tokenizer: the pretrained pipelines' rule set, loaded in milliseconds without weights.

    The app's one tokenizer cache: every token offset (imports, the editor's
    snapping, agreement's token tags, the training data) comes through here.
    """
    return spacy.blank("en").tokenizer


def _packed_piece(piece: str) -> bytes | None:
    """The packed tokens of one piece (whitespace, then a whitespace-free chunk), relative to the end of
    the token before it; None if the chunk's tokens do not cover it exactly (then pieces do not add up)."""
    gap = _SPACE.match(piece).end()
    chunk = piece[gap:]
    cuts = [(t.idx, t.idx + len(t.text)) for t in _tokenizer()(chunk)]
    if not cuts or cuts[-1][1] != len(chunk):
        return None
    values, previous = [], -gap
    for start, end in cuts:
        values.append(start - previous)
        values.append(end - start)
        previous = end
    return pack_values(values)


def packed_token_offsets(text: str) -> bytes:
    """pack_offsets(token_offsets(text)), at import speed.

    spaCy's tokenizer first cuts the text at whitespace, then cuts each
    whitespace-free chunk by its prefix, suffix, infix and exception rules;
    nothing crosses a chunk. Packed offsets count from the end of the token
    before, so a chunk with the whitespace before it (a piece) packs to the
    same bytes wherever it is: the packed text is its pieces' bytes joined.
    News text repeats its words, so the pieces are cached, and a document is
    one regular expression, one dict lookup per word and a join, all in C.
    The cuts still come from spaCy's own blank English tokenizer, so the
    offsets are spaCy's, which the tests check over random text against the
    tokenizer run on the whole text.
    """
    pieces = _PIECE.findall(text)
    parts = list(map(_cache.get, pieces))
    if None in parts:
        for index, piece in enumerate(pieces):
            if parts[index] is None:
                packed = _packed_piece(piece)
                if packed is None:  # a chunk spaCy does not cover exactly: no shortcut
                    return pack_offsets(_spacy_offsets(text))
                if len(_cache) >= _CACHE_LIMIT:
                    _cache.clear()
                    _values.clear()
                # Pieces of the same shape pack alike (" Mosul" and " Raqqa" both to b"\x01\x05"): keep one copy.
                _cache[piece] = parts[index] = _values.setdefault(packed, packed)
    return b"".join(parts)


def _spacy_offsets(text: str) -> list[tuple[int, int]]:
    return [(t.idx, t.idx + len(t.text)) for t in _tokenizer()(text) if not t.is_space]


def token_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-space token of `text`, as spaCy's blank English tokenizer has them."""
    return unpack_offsets(packed_token_offsets(text))


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
