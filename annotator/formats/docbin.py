"""spaCy's binary training format: a DocBin `.spacy` file, spans as `doc.ents` and in `doc.spans["sc"]`.

Out: tokens are spaCy's, cut at span edges, with their whitespace, so
`doc.text` is the record's text and every span is `doc.char_span(start,
end)`; a span that begins or ends with whitespace cannot be an entity and is
reported. The record's id and meta travel in `doc.user_data`. The file is
written and read a batch of Docs at a time (see docbin_stream), and is what
`spacy train`, `spacy evaluate` and `spacy debug data` read. In: entities
from `doc.ents`, or, for a Doc without any, from `doc.spans["sc"]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan
from spacy.vocab import Vocab

from .docbin_stream import DocBinWriter, read_docs
from .records import FormatError, Record, Span
from .tokens import align

KIND = "binary"
SUFFIX = ".spacy"
MEDIA_TYPE = "application/octet-stream"
HAS_SPANS = True

SPANS_KEY = "sc"  # the key spaCy's span categorizer reads by default
ATTRS = ("ENT_IOB", "ENT_TYPE")


def to_doc(record: Record, vocab: Vocab, report=None) -> Doc:
    """The record as a spaCy Doc with its spans as entities (and in doc.spans["sc"])."""
    alignment = align(record.text, record.spans)
    for span, reason in alignment.refused:
        if report:
            report(record, span, reason)
    text = record.text
    doc = Doc(vocab, words=[text[s:e] for s, e, _ in alignment.tokens], spaces=[ws for _, _, ws in alignment.tokens])
    spans = [SpacySpan(doc, first, after, label=span.label) for span, first, after in alignment.spans]
    doc.ents = spans
    doc.spans[SPANS_KEY] = spans
    doc.user_data["id"] = record.id
    doc.user_data["meta"] = json.dumps(record.meta, ensure_ascii=False)
    return doc


def dump(records: Iterable[Record], report=None, layer: str = "gold") -> Iterator[bytes]:
    """Yield the bytes of one .spacy file holding every record."""
    vocab = Vocab()
    writer = DocBinWriter(ATTRS)
    for record in records:
        writer.add(to_doc(record, vocab, report))
    yield from writer.chunks()


def load(raw: BinaryIO, name: str = "", on_error=None, layer: str = "gold") -> Iterator[Record]:
    """Yield a record per Doc; `line` is the Doc's number in the file."""
    vocab = Vocab()
    seen = False
    try:
        for number, doc in enumerate(read_docs(raw, vocab), start=1):
            seen = True
            yield from_doc(doc, f"{name}:{number}" if name else str(number), number)
    except ValueError as error:
        raise FormatError(str(error)) from None
    if not seen:
        raise FormatError("the file is empty (no Docs)")


def from_doc(doc: Doc, default_id: str, number: int) -> Record:
    entities = list(doc.ents) or list(doc.spans[SPANS_KEY] if SPANS_KEY in doc.spans else [])
    try:
        meta = json.loads(doc.user_data.get("meta") or "{}")
    except (TypeError, ValueError):
        meta = {}
    record_id = doc.user_data.get("id")
    return Record(
        id=str(record_id) if record_id is not None else default_id,
        text=doc.text,
        spans=[Span(e.start_char, e.end_char, e.label_) for e in entities],
        meta=meta if isinstance(meta, dict) else {},
        line=number,
    )
