"""What the JSON formats share: reading values one at a time with their line, field checks, writing.

Tools write JSON in several layouts: one object per line (JSONL), one array
of objects (Label Studio's export), or pretty-printed objects one after
another. `values` reads all three as a stream, so a file of any size is read
with memory for one record at a time, and every value comes with the line it
starts on for "file:line: what is wrong".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator

from . import limits
from .records import FormatError, Record, Span

try:  # orjson writes JSON ~20x and reads it ~2x faster than json; optional, json is the fallback
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; an old environment still works
    orjson = None

OnError = Callable[[FormatError], None] | None

_READ_AHEAD = 1 << 20
_SPACE = re.compile(r"[ \t\r\n]*")
_decoder = json.JSONDecoder()
SPAN_EXTRAS = ("text", "score", "source", "origin", "annotator")


def values(lines: Iterable[str], on_error: OnError = None) -> Iterator[tuple[int, object]]:
    """Yield (line, value) for each top-level JSON value, or each element of one top-level array.

    Broken JSON raises FormatError at its line; with `on_error`, a broken
    value outside an array is reported and reading goes on at the next line
    (inside an array there is no safe place to go on from). A value longer
    than limits.line_bytes() or nested deeper than limits.nesting() is
    refused (FormatError) before it is parsed or buffered further.
    """
    return _Values(lines, on_error).read()


class _Values:
    """The reading state of `values`: a buffer of about a megabyte of the input, the place in it, the line."""

    def __init__(self, lines: Iterable[str], on_error: OnError):
        self.source = iter(lines)
        self.on_error = on_error
        self.max_chars = limits.line_bytes()
        self.max_depth = limits.nesting()
        self.buffer, self.position, self.line, self.done = "", 0, 1, False

    def fill(self) -> bool:
        """Drop what was read, append the next ~1 MB of lines; False at the end of the input.

        The lines are joined once (appending each to the buffer would copy it per line: minutes
        for a pretty-printed file of short lines).
        """
        if self.done:
            return False
        pieces, added = [self.buffer[self.position :]], 0
        self.position = 0
        for piece in self.source:
            pieces.append(piece)
            added += len(piece)
            if added >= _READ_AHEAD:
                self.buffer = "".join(pieces)
                return True
        self.done = True
        self.buffer = "".join(pieces)
        return added > 0

    def read(self) -> Iterator[tuple[int, object]]:
        in_array = None  # unknown until the first character
        expect_comma = False
        while True:
            end = _SPACE.match(self.buffer, self.position).end()
            self.line += self.buffer.count("\n", self.position, end)
            self.position = end
            if self.position >= len(self.buffer):
                if self.fill():
                    continue
                break
            char = self.buffer[self.position]
            if in_array is None:
                in_array = char == "["
                if in_array:
                    self.position += 1
                    continue
            if in_array:
                if char == "]":
                    self.position += 1
                    in_array = expect_comma = False  # anything after the array is read as more values
                    continue
                if expect_comma:
                    if char != ",":
                        raise FormatError(f"broken JSON: expected ',' or ']' after an array element, got {char!r}", self.line)
                    self.position += 1
                    expect_comma = False
                    continue
            decoded = self.decode(bool(in_array))
            if decoded is None:
                continue
            if decoded is _END:
                return
            yield decoded
            expect_comma = bool(in_array)
        if in_array:
            raise FormatError("broken JSON: the array is not closed (no ']' at the end)", self.line)

    def decode(self, in_array: bool):
        """(line, value) of the value at the place; None to look again (more read, or a bad line skipped); _END."""
        buffer, position, start_line = self.buffer, self.position, self.line
        try:
            value, end = _decoder.raw_decode(buffer, position)
        except RecursionError:
            raise FormatError(f"JSON nested deeper than {self.max_depth} levels (settings.IMPORT_MAX_NESTING)", self.line) from None
        except json.JSONDecodeError as error:
            if not self.done and (error.pos >= len(buffer) - 64 or error.msg.startswith("Unterminated")):
                if len(buffer) - position > self.max_chars:
                    raise FormatError(
                        f"a record longer than {self.max_chars >> 20} MB (settings.IMPORT_MAX_DOCUMENT_CHARS)", self.line
                    ) from None
                self.fill()
                return None
            return self.skip(error, in_array)
        if buffer.count("[", position, end) + buffer.count("{", position, end) > self.max_depth:
            limits.check_json_depth(buffer[position:end], start_line)
        self.line += buffer.count("\n", position, end)
        self.position = end
        return start_line, value

    def skip(self, error: json.JSONDecodeError, in_array: bool):
        """Report broken JSON and go on at the next line (None), or _END at the end; raise it in an array."""
        buffer = self.buffer
        error_line = self.line + buffer.count("\n", self.position, error.pos)
        column = error.pos - buffer.rfind("\n", 0, error.pos)
        problem = FormatError(f"broken JSON: {error.msg} (column {column})", error_line)
        if self.on_error is None or in_array:
            raise problem from None
        self.on_error(problem)
        self.position = error.pos  # go on after the line the error is on
        while (newline := self.buffer.find("\n", self.position)) == -1:
            self.position = len(self.buffer)
            if not self.fill():
                return _END
        self.position, self.line = newline + 1, error_line + 1
        return None


_END = object()


def records(
    lines: Iterable[str],
    convert: Callable[[object, int], Iterable[Record]],
    on_error: OnError = None,
) -> Iterator[Record]:
    """Turn each JSON value into records with `convert(value, line)`; raise or report what is wrong.

    Raises "the file is empty" when there was no value at all.
    """
    seen = False
    for line, value in values(lines, on_error):
        seen = True
        yield from guard(lambda: convert(value, line), on_error)
    if not seen:
        raise FormatError("the file is empty")


def guard(make: Callable[[], Iterable[Record]], on_error: OnError) -> list[Record]:
    """Return the records `make` builds, or none after reporting its FormatError to `on_error`."""
    try:
        return list(make())
    except FormatError as error:
        if on_error is None:
            raise
        on_error(error)
        return []


def obj(value, line: int, what: str = "each record") -> dict:
    if not isinstance(value, dict):
        raise FormatError(f"{what} must be a JSON object, got {type(value).__name__}", line)
    return value


def integer(value, line: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(f"must be an integer, got {value!r}", line, field)
    return value


def label(value, line: int, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise FormatError(f"label must be a non-empty string, got {value!r}", line, field)
    return value


def text(value, line: int, field: str = "text") -> str:
    """A document's text: a string, not only white space, within the size limit, storable (limits.check_document_text)."""
    limits.check_document_text(value, line, field)
    return value


def meta(value, line: int, field: str = "meta") -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FormatError("must be an object", line, field)
    return value


def ident(value, default: str, line: int, field: str = "id") -> str:
    if value is None:
        return default
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise FormatError("must be a string", line, field)
    return str(value)


def span_extras(raw: dict, line: int, where: str) -> dict:
    """The optional span fields the app keeps (text, score, source, origin, annotator), checked."""
    extras = {key: raw[key] for key in SPAN_EXTRAS if raw.get(key) is not None}
    if "text" in extras and not isinstance(extras["text"], str):
        raise FormatError("must be a string", line, f"{where}.text")
    if "score" in extras and (isinstance(extras["score"], bool) or not isinstance(extras["score"], (int, float))):
        raise FormatError("must be a number", line, f"{where}.score")
    for key in ("source", "origin", "annotator"):
        if key in extras and not isinstance(extras[key], str):
            raise FormatError("must be a string", line, f"{where}.{key}")
    return extras


def span_fields(span: Span) -> dict:
    """start, end, label and the extras that are set, for writing."""
    out = {"start": span.start, "end": span.end, "label": span.label}
    if span.text is not None:
        out["text"] = span.text
    if span.score is None and span.source is None and span.origin is None and span.annotator is None:
        return out  # gold: the common case, checked at once
    for key in ("score", "source", "origin", "annotator"):
        value = getattr(span, key)
        if value is not None:
            out[key] = value
    return out


def line(value) -> str:
    """One JSON line: UTF-8 as it is (no \\u escapes), with its newline."""
    if orjson is not None:
        try:
            return orjson.dumps(value).decode("utf-8") + "\n"
        except (TypeError, orjson.JSONEncodeError):
            pass  # an int beyond 64 bits, a lone surrogate: json writes those
    return json.dumps(value, ensure_ascii=False) + "\n"


def line_bytes(value) -> bytes:
    """`line(value)` encoded as UTF-8, without a str between when orjson writes it."""
    if orjson is not None:
        try:
            return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)
        except (TypeError, orjson.JSONEncodeError):
            pass
    return line(value).encode("utf-8")


def loads(text: str, line: int | None = None):
    """Parse one JSON document; JSONDecodeError (json's, with its message and position) if broken.

    FormatError (at `line`) if it nests deeper than limits.nesting(), checked before parsing.
    """
    limits.check_json_depth(text, line)
    if orjson is not None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # json's message names what is wrong; json also reads NaN and lone surrogates
    return json.loads(text)
