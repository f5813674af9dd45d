"""Export one layer of a project in any format: to a file or folder, or as a stream for a download.

Records are read a chunk of documents at a time and written as they come,
so memory stays bounded whatever the project's size. A train/dev split is
decided per document by a seeded hash of its id: the same document lands in
the same part every time, even as the project grows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import AnyStr, BinaryIO

from ..formats import EXPORT_FORMATS, FORMATS, Record, Span
from ..formats.archive import write_directory, zip_stream
from ..formats.records import describe
from ..models import Project
from ..selectors.layers import LayerReader

Progress = Callable[[int, int], None] | None
_BUFFER = 256 * 1024


@dataclass
class ExportResult:
    documents: int = 0
    spans: int = 0
    problems: int = 0  # spans the format could not hold (reported, left out)
    paths: list[str] = field(default_factory=list)

    def __str__(self):
        text = f"wrote {self.documents} documents, {self.spans} spans to {', '.join(self.paths)}"
        if self.problems:
            text += f"; {self.problems} spans could not be written in this format (see above)"
        return text


# ---------------------------------------------------------------- writing


def in_dev(record_id: str, fraction: float, seed: int) -> bool:
    """Whether a document goes to the dev part: a seeded hash of its id, below `fraction`."""
    digest = hashlib.sha256(f"{seed}\0{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def dump_options(fmt: str, offsets: str | None = None) -> dict:
    """The format's own dump options that are set (its DUMP_OPTIONS); ValueError for one it does not take."""
    module = FORMATS[fmt]
    if offsets is None:
        return {}
    if "offsets" not in getattr(module, "DUMP_OPTIONS", ()):
        takers = [name for name in EXPORT_FORMATS if "offsets" in getattr(FORMATS[name], "DUMP_OPTIONS", ())]
        raise ValueError(f"--offsets applies to {', '.join(takers)} exports, not {fmt}")
    return {"offsets": offsets}


def chunks(records, fmt: str, layer: str, report=None, options: dict | None = None) -> Iterator[bytes]:
    """The bytes of the export of `records` in `fmt`: a file's, or for a many-file format a .zip's."""
    module = FORMATS[fmt]
    pieces = module.dump(records, report=report, layer=layer, **(options or {}))
    if module.KIND == "binary":
        yield from pieces
    elif module.KIND == "files":
        yield from zip_stream(pieces)
    else:
        for piece in _buffered(pieces):
            yield piece.encode("utf-8")


def _buffered(pieces: Iterable[AnyStr]) -> Iterator[AnyStr]:
    """The pieces joined into about _BUFFER at a time (str or bytes alike)."""
    buffered, size = [], 0
    for piece in pieces:
        buffered.append(piece)
        size += len(piece)
        if size >= _BUFFER:
            yield buffered[0][:0].join(buffered)
            buffered, size = [], 0
    if buffered:
        yield buffered[0][:0].join(buffered)


def _encoded(reader: LayerReader, fmt: str, layer: str, report=None, counted=None, options: dict | None = None) -> Iterator[bytes]:
    """The bytes of the export of `reader`'s records in `fmt`, JSONL straight from the rows.

    `counted(items)` sees (record id, span count, record or line) and passes
    on what to write (export_layer counts, reports progress and splits there).
    """
    counted = counted or (lambda items: (item for _, _, item in items))
    if fmt == "jsonl":
        return _buffered(counted(reader.jsonl_lines()))
    return chunks(counted((record.id, len(record.spans), record) for record in reader), fmt, layer, report, options)


def export_layer(
    project: Project,
    *,
    fmt: str,
    layer: str,
    output: str | Path | BinaryIO,
    model: str | None = None,
    annotator=None,
    split: float | None = None,
    seed: int = 0,
    progress: Progress = None,
    on_problem: Callable[[str], None] | None = None,
    as_of: datetime | None = None,
    offsets: str | None = None,
    only=None,
) -> ExportResult:
    """Write a layer in `fmt` to `output`: a file path, an open binary stream, or (brat, or a split) a folder.

    A file is written under a temporary name and renamed when complete, so
    no reader sees half of it. With `split` (the dev fraction) the output is
    a folder with train and dev parts. Spans the format cannot hold are
    told to `on_problem` and counted. `offsets` is the unit of doccano's and
    Label Studio's offsets (default: what their editors read). Raises
    ValueError for an unknown format, layer or model.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    module = FORMATS[fmt]
    options = dump_options(fmt, offsets)
    result = ExportResult()

    def report(record: Record, span: Span, reason: str) -> None:
        result.problems += 1
        if on_problem:
            on_problem(f"{describe(record, span)}: {reason}")

    def counted(reader: LayerReader, part: str | None):
        def count(items):
            done = 0
            for record_id, spans, item in items:
                done += 1
                if progress and (done % 500 == 0 or done == reader.total):
                    progress(done, reader.total)
                if part is None or (part == "dev") == in_dev(record_id, split, seed):
                    result.documents += 1
                    result.spans += spans
                    yield item

        return count

    def records(reader: LayerReader, part: str | None) -> Iterator[Record]:
        return counted(reader, part)((record.id, len(record.spans), record) for record in reader)

    parts = [None] if split is None else ["train", "dev"]
    readers = [LayerReader(project, layer, model=model, annotator=annotator, as_of=as_of, only=only) for _ in parts]
    if not isinstance(output, (str, Path)):
        for chunk in _encoded(readers[0], fmt, layer, report, counted(readers[0], None), options):
            output.write(chunk)
        result.paths.append("-")
        return result
    output = Path(output)
    if split is not None or (module.KIND == "files" and output.suffix.lower() != ".zip"):
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise ValueError(f"{output} exists and is not an empty folder")
        output.mkdir(parents=True, exist_ok=True)
    for part, reader in zip(parts, readers):
        target = output / f"{part}{module.SUFFIX}" if part else output
        if module.KIND == "files" and target.suffix.lower() != ".zip":
            write_directory(module.dump(records(reader, part), report=report, layer=layer, **options), target)
        else:
            partial = target.with_name(target.name + ".partial")
            with partial.open("wb") as handle:
                for chunk in _encoded(reader, fmt, layer, report, counted(reader, part), options):
                    handle.write(chunk)
            partial.replace(target)
        result.paths.append(str(target))
    return result


def download(
    project: Project, *, fmt: str, layer: str, model: str | None = None, annotator=None, as_of: datetime | None = None
) -> tuple[str, str, Iterator[bytes]]:
    """(file name, media type, bytes) of a layer's export for a web download, streamed as it is read.

    Raises ValueError before anything is read for an unknown format, layer or model.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    module = FORMATS[fmt]
    reader = LayerReader(project, layer, model=model, annotator=annotator, as_of=as_of)
    suffix = ".zip" if module.KIND == "files" else module.SUFFIX
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{project.slug}-{layer}-{fmt}-{stamp}{suffix}"
    return name, "application/zip" if module.KIND == "files" else module.MEDIA_TYPE, _encoded(reader, fmt, layer)
