"""Write and read spaCy's `.spacy` (DocBin) files a batch of Docs at a time.

A DocBin keeps every token of every Doc as one numpy array and serializes it
as one zlib-compressed msgpack map ({"tokens": all tokens, "lengths": ...,
"strings": ..., ...}); `DocBin.to_bytes` and `from_bytes` hold all of it in
memory at once, about 10 kB a 300-word document, 1 GB for 100,000. Here
spaCy's own DocBin still turns Docs into arrays and back (`add`,
`get_docs`), a batch at a time, and only the framing is done by hand: the
per-document arrays are spooled to temporary files and the map is written,
or read, as a stream. The file is byte for byte the kind spaCy reads and
writes (the tests load it with `DocBin().from_disk`).
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import numpy
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab
from srsly.msgpack import Packer, Unpacker

_PIECE = 1 << 20
_SPOOL = 32 << 20  # spooled files stay in memory up to this size, then go to disk
_PER_DOC = ("cats", "flags", "span_groups", "user_data")


def _spool():
    return tempfile.SpooledTemporaryFile(max_size=_SPOOL)


def _bin_header(size: int) -> bytes:
    if size < 1 << 8:
        return b"\xc4" + struct.pack(">B", size)
    if size < 1 << 16:
        return b"\xc5" + struct.pack(">H", size)
    return b"\xc6" + struct.pack(">I", size)


def _copy(source) -> Iterator[bytes]:
    source.seek(0)
    while piece := source.read(_PIECE):
        yield piece


class DocBinWriter:
    """Collect Docs like a DocBin, with memory for one batch and the distinct strings."""

    def __init__(self, attrs: Iterable[str], batch: int = 500):
        self._attrs = list(attrs)
        self._batch = batch
        self._bin = DocBin(attrs=self._attrs, store_user_data=True)
        self._packer = Packer(use_bin_type=True)
        self._tokens, self._spaces = _spool(), _spool()
        self._per_doc = {key: _spool() for key in _PER_DOC}
        self._lengths: list[int] = []
        self._strings: set[str] = set()
        self._token_bytes = self._space_bytes = 0

    def __len__(self) -> int:
        return len(self._lengths) + len(self._bin)

    def add(self, doc: Doc) -> None:
        self._bin.add(doc)
        if len(self._bin) >= self._batch:
            self._drain()

    def _drain(self) -> None:
        pending = self._bin
        for tokens, spaces in zip(pending.tokens, pending.spaces):
            data = numpy.ascontiguousarray(tokens, dtype="uint64").tobytes("C")
            flags = numpy.asarray(spaces, dtype=bool).tobytes("C")
            self._tokens.write(data)
            self._spaces.write(flags)
            self._token_bytes += len(data)
            self._space_bytes += len(flags)
            self._lengths.append(len(tokens))
        for key in _PER_DOC:
            spool = self._per_doc[key]
            for item in getattr(pending, key):
                spool.write(self._packer.pack(item))
        self._strings |= pending.strings
        self._attrs_ids = pending.attrs
        self._bin = DocBin(attrs=self._attrs, store_user_data=True)

    def chunks(self) -> Iterator[bytes]:
        """The compressed file, a piece at a time (all Docs must have been added)."""
        self._drain()
        pack = self._packer.pack
        compressor = zlib.compressobj()
        count = len(self._lengths)

        def parts() -> Iterator[bytes]:
            yield self._packer.pack_map_header(10)
            yield pack("version") + pack("0.1")
            yield pack("attrs") + pack(self._attrs_ids)
            yield pack("tokens") + _bin_header(self._token_bytes)
            yield from _copy(self._tokens)
            yield pack("spaces") + _bin_header(self._space_bytes)
            yield from _copy(self._spaces)
            yield pack("lengths") + pack(numpy.asarray(self._lengths, dtype="int32").tobytes("C"))
            yield pack("strings") + self._packer.pack_array_header(len(self._strings))
            for string in sorted(self._strings):
                yield pack(string)
            for key in _PER_DOC:
                yield pack(key) + self._packer.pack_array_header(count)
                yield from _copy(self._per_doc[key])

        for part in parts():
            if out := compressor.compress(part):
                yield out
        yield compressor.flush()
        for spool in (self._tokens, self._spaces, *self._per_doc.values()):
            spool.close()


class _Inflater:
    """A file-like view of a zlib stream: read(n) gives decompressed bytes."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._zlib = zlib.decompressobj()
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._pending) < size:
            compressed = self._raw.read(_PIECE)
            if not compressed:
                self._pending += self._zlib.flush()
                break
            self._pending += self._zlib.decompress(compressed)
        if size < 0:
            size = len(self._pending)
        out, self._pending = self._pending[:size], self._pending[size:]
        return out


def read_docs(raw: BinaryIO, vocab: Vocab, batch: int = 500) -> Iterator[Doc]:
    """Yield the Docs of a .spacy file read from `raw`, holding one batch (and the strings) in memory.

    Raises ValueError if the file is not a DocBin.
    """
    try:
        unpacker = Unpacker(file_like=_Inflater(raw), raw=False, max_buffer_size=256 << 20)
        size = unpacker.read_map_header()
    except Exception as error:  # zlib and msgpack raise several kinds for a file of another kind
        raise ValueError(f"not a .spacy (DocBin) file: {error}") from None
    blobs: dict[str, object] = {}
    per_doc: dict[str, tuple[object, int]] = {}
    attrs, lengths, strings = None, None, []
    for _ in range(size):
        key = unpacker.unpack()
        if key in ("tokens", "spaces"):
            blobs[key] = _read_bin(unpacker)
        elif key in _PER_DOC:
            count = unpacker.read_array_header()
            spool = _spool()
            packer = Packer(use_bin_type=True)
            for _ in range(count):
                spool.write(packer.pack(unpacker.unpack()))
            spool.seek(0)
            per_doc[key] = (spool, count)
        elif key == "strings":
            strings = [unpacker.unpack() for _ in range(unpacker.read_array_header())]
        elif key == "attrs":
            attrs = unpacker.unpack()
        elif key == "lengths":
            lengths = numpy.frombuffer(unpacker.unpack(), dtype="int32")
        else:
            unpacker.skip()
    if attrs is None or lengths is None or "tokens" not in blobs or "spaces" not in blobs:
        raise ValueError("not a .spacy (DocBin) file: tokens, spaces, attrs or lengths are missing")
    readers = {key: Unpacker(file_like=spool, raw=False, max_buffer_size=256 << 20) for key, (spool, _) in per_doc.items()}
    tokens, spaces = blobs["tokens"], blobs["spaces"]
    tokens.seek(0)
    spaces.seek(0)
    width = len(attrs)
    for begin in range(0, len(lengths), batch):
        sizes = lengths[begin : begin + batch]
        total = int(sizes.sum())
        flat = numpy.frombuffer(tokens.read(total * width * 8), dtype="uint64").reshape((total, width))
        flat_spaces = numpy.frombuffer(spaces.read(total), dtype=bool).reshape((total, 1))
        cuts = numpy.cumsum(sizes)[:-1]
        part = DocBin(attrs=[])
        part.attrs = attrs
        part.strings = set(strings) if begin == 0 else set()
        part.tokens = numpy.split(flat, cuts)
        part.spaces = numpy.split(flat_spaces, cuts)
        n = len(sizes)
        part.cats = [next(readers["cats"]) for _ in range(n)] if "cats" in readers else [{} for _ in range(n)]
        part.flags = [next(readers["flags"]) for _ in range(n)] if "flags" in readers else [{} for _ in range(n)]
        part.span_groups = [next(readers["span_groups"]) for _ in range(n)] if "span_groups" in readers else [b""] * n
        part.user_data = [next(readers["user_data"]) for _ in range(n)] if "user_data" in readers else [None] * n
        yield from part.get_docs(vocab)


def _read_bin(unpacker: Unpacker):
    """Copy the msgpack bin value at the unpacker's position into a spool file, without holding it."""
    kind = unpacker.read_bytes(1)
    widths = {b"\xc4": ">B", b"\xc5": ">H", b"\xc6": ">I"}
    if kind not in widths:
        raise ValueError("not a .spacy (DocBin) file: expected binary token data")
    fmt = widths[kind]
    (size,) = struct.unpack(fmt, unpacker.read_bytes(struct.calcsize(fmt)))
    spool = _spool()
    while size:
        piece = unpacker.read_bytes(min(size, _PIECE))
        if not piece:
            raise ValueError("not a .spacy (DocBin) file: it ends early")
        spool.write(piece)
        size -= len(piece)
    return spool
