"""Plain text: a whole file is one document with no spans."""

from collections.abc import Iterable, Iterator

from .records import FormatError, Record

KIND = "text"
SUFFIX = ".txt"
MEDIA_TYPE = "text/plain"
HAS_SPANS = False  # importing text touches no layer


def load(lines: Iterable[str], name: str = "", on_error=None, layer: str = "gold") -> Iterator[Record]:
    """Read the lines of one text file as one record (lines keep their line ends)."""
    text = "".join(lines)
    if not text.strip():
        raise FormatError("the file is empty")
    yield Record(id=name, text=text, line=1)


def dump(records: Iterable[Record], report=None, layer: str = "gold") -> Iterator[str]:
    """Write the texts one after another, separated by a form feed line."""
    for index, record in enumerate(records):
        if index:
            yield "\f\n"
        yield record.text
