"""CoNLL-2003 style token files: `token POS chunk tag` per line, IOB2 tags out, IOB1/IOB2/BILOU/IOBES in.

Out: each document opens with `-DOCSTART- -X- -X- O` and a blank line;
sentences end with a blank line; every token line is `token -X- _ TAG`.
Tokens are spaCy's, cut at span edges so every span survives. A token file
keeps no whitespace, so a span that begins or ends with whitespace is
reported and left out, and reading a file back gives tokens joined by one
space (sentences by a newline): the spans and their words survive, the
original spacing does not.

In: the first column is the token and the last the tag; documents are
separated by -DOCSTART- lines, or, in a file without any, each sentence is a
document.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from . import tags as tagging
from .records import FormatError, Record, Span
from .tokens import align

KIND = "text"
SUFFIX = ".conll"
MEDIA_TYPE = "text/plain"
HAS_SPANS = True

DOCSTART = "-DOCSTART-"
_SENTENCE_END = {".", "!", "?"}


def dump(records: Iterable[Record], report=None, layer: str = "gold") -> Iterator[str]:
    """Yield the lines of each record as a CoNLL-2003 document."""
    for record in records:
        alignment = align(record.text, record.spans)
        for span, reason in alignment.refused:
            if report:
                report(record, span, reason)
        text = record.text
        words = [(i, s, e) for i, (s, e, _) in enumerate(alignment.tokens) if not text[s].isspace()]
        position = {token: n for n, (token, _, _) in enumerate(words)}
        chunks = [(position[first], position[after - 1] + 1, span.label) for span, first, after in alignment.spans]
        tag_of = tagging.iob2(len(words), chunks)
        inside = [False] * len(words)
        for first, after, _ in chunks:
            for n in range(first, after - 1):
                inside[n] = True  # no sentence break inside a chunk
        out = [f"{DOCSTART} -X- -X- O\n", "\n"]
        for n, (_, start, end) in enumerate(words):
            out.append(f"{text[start:end]} -X- _ {tag_of[n]}\n")
            last = n + 1 == len(words)
            if last or (not inside[n] and (text[start:end] in _SENTENCE_END or "\n" in text[end : words[n + 1][1]])):
                out.append("\n")
        yield "".join(out)


def load(lines: Iterable[str], name: str = "", on_error=None, layer: str = "gold") -> Iterator[Record]:
    """Yield a record per document; FormatError names the line of a bad tag or line."""
    by_docstart = None
    document: list[list[tuple[str, str, int]]] = []
    sentence: list[tuple[str, str, int]] = []
    first_line = None
    seen = False

    def finish():
        if sentence:
            document.append(list(sentence))
            sentence.clear()
        if not document:
            return []
        try:
            return [_record(document, name, first_line)]
        except FormatError as error:
            if on_error is None:
                raise
            on_error(error)
            return []
        finally:
            document.clear()

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            if sentence:
                document.append(list(sentence))
                sentence.clear()
                if not by_docstart:
                    yield from finish()
            continue
        seen = True
        if by_docstart is None:
            by_docstart = line.startswith(DOCSTART)
        if line.startswith(DOCSTART):
            yield from finish()
            first_line = number
            continue
        if first_line is None or (not by_docstart and not document and not sentence):
            first_line = number
        columns = line.split()
        if len(columns) < 2:
            error = FormatError(f"expected a token and a tag, got {line!r}", number)
            if on_error is None:
                raise error
            on_error(error)
            continue
        sentence.append((columns[0], columns[-1], number))
    yield from finish()
    if not seen:
        raise FormatError("the file is empty")


def _record(sentences: list[list[tuple[str, str, int]]], name: str, first_line: int | None) -> Record:
    """Join the tokens of a document with spaces (sentences with newlines) and read its chunks."""
    pieces: list[str] = []
    spans: list[Span] = []
    position = 0
    for sentence in sentences:
        if pieces:
            pieces.append("\n")
            position += 1
        starts = []
        for index, (token, _, _) in enumerate(sentence):
            if index:
                pieces.append(" ")
                position += 1
            starts.append(position)
            pieces.append(token)
            position += len(token)
        try:
            chunks = tagging.spans_of([tag for _, tag, _ in sentence])
        except FormatError as error:
            line = sentence[int(error.field)][2] if error.field is not None else sentence[0][2]
            raise FormatError(error.message, line) from None
        for first, after, label in chunks:
            last_token = sentence[after - 1][0]
            spans.append(Span(starts[first], starts[after - 1] + len(last_token), label))
    text = "".join(pieces)
    return Record(id=f"{name}:{first_line}" if name else str(first_line), text=text, spans=spans, line=first_line)

