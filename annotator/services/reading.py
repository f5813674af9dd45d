"""Reading import files: the format resolved, the size checked before opening, records streamed with progress.

Errors are FormatError without the path; `located` adds it. services.imports
reads through here, twice per file (check, then write).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from ..formats import FORMATS, IMPORT_FORMATS, FormatError, Record, detect_format
from ..formats import limits
from ..formats.archive import brat_pairs
from ..formats.records import check_spans

# A file larger than this is refused before it is read (settings.IMPORT_MAX_BYTES overrides it).
DEFAULT_MAX_BYTES = 1 << 30


class Meter:
    """How much of a file has been read, for the progress bar."""

    def __init__(self, total: int):
        self.total = total
        self.done = 0


def max_import_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def resolve_format(path: Path, fmt: str = "auto") -> str:
    """The format named, or for "auto" the one the file's name and first characters tell."""
    if fmt != "auto":
        if fmt not in FORMATS or not hasattr(FORMATS[fmt], "load"):
            raise FormatError(f"unknown format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
        return fmt
    head = None
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson") and path.is_file():
        with path.open("rb") as handle:
            head = handle.read(64 * 1024).decode("utf-8", "replace").lstrip("\ufeff")
    return detect_format(str(path), head)


def _check_size(path: Path) -> None:
    """Refuse a file over the limit from its size alone: it is never opened."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
    limit = max_import_bytes()
    total = sum(p.stat().st_size for p in files)
    if total > limit:
        raise FormatError(
            f"the file is {total / (1 << 30):.1f} GB, over the import limit of {limit / (1 << 30):.1f} GB "
            f"(settings.IMPORT_MAX_BYTES); split it into smaller files"
        )


def _lines(path: Path, meter: Meter) -> Iterator[str]:
    """Decoded lines of a UTF-8 file (line ends kept, a byte-order mark dropped), counting bytes read."""
    with path.open("rb") as handle:
        for number, raw in enumerate(limits.bounded_lines(handle), start=1):  # no line over the limits
            meter.done += len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise FormatError(f"not UTF-8 text ({error.reason} at byte {error.start} of the line)", number) from None
            yield line.lstrip("\ufeff") if number == 1 else line


class _CountingReader:
    def __init__(self, handle, meter: Meter):
        self._handle, self._meter = handle, meter

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._meter.done += len(data)
        return data


def iter_records(
    path: str | Path,
    fmt: str = "auto",
    *,
    layer: str = "gold",
    on_error=None,
    meter: Meter | None = None,
    options: dict | None = None,
) -> Iterator[Record]:
    """Return the records of a file, read as they are used; FormatError for a problem (without the path).

    The format and the size limit are checked at once, before anything is read.
    `options` are the format's own (its LOAD_OPTIONS: offsets, overlaps,
    labels, stats); one the format does not take is refused when it is set.
    """
    path = Path(path)
    fmt = resolve_format(path, fmt)
    module = FORMATS[fmt]
    accepted = getattr(module, "LOAD_OPTIONS", ())
    extra = {key: value for key, value in (options or {}).items() if key in accepted}
    for key in ("offsets", "overlaps"):
        value = (options or {}).get(key)
        if value is not None and key not in accepted and not (key == "overlaps" and value == "refuse"):
            takers = [name for name in IMPORT_FORMATS if key in getattr(FORMATS[name], "LOAD_OPTIONS", ())]
            raise FormatError(f"--{key} applies to {' and '.join(takers)} files, not {fmt}")
    _check_size(path)
    return _read(path, module, layer, on_error, meter or Meter(0), extra)


def _read(path: Path, module, layer: str, on_error, meter: Meter, extra: dict | None = None) -> Iterator[Record]:
    options = {"name": path.stem, "on_error": on_error, "layer": layer, **(extra or {})}
    if module.KIND == "files":
        yield from module.load(brat_pairs(path), **options)
    elif module.KIND == "binary":
        with path.open("rb") as handle:
            yield from module.load(_CountingReader(handle, meter), **options)
    else:
        if module is FORMATS["txt"]:  # the whole file is one document: refused unread if surely too long
            limits.check_one_document_file(path.stat().st_size)
        yield from module.load(_lines(path, meter), **options)


def read_records(path: str | Path, fmt: str = "auto", labels: set[str] | None = None) -> list[Record]:
    """Read and check every record of a (small) file; raise FormatError with the file and line of a problem."""
    try:
        records = list(iter_records(path, fmt))
        for record in records:
            check_spans(record, labels)
    except FormatError as error:
        raise located(error, path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise located(read_error(error), path) from None
    return records


def located(error: FormatError, path) -> FormatError:
    return error if error.path else error.at(str(path))


def read_error(error: Exception) -> FormatError:
    if isinstance(error, UnicodeDecodeError):
        return FormatError(f"not UTF-8 text ({error.reason} at byte {error.start})")
    return FormatError(f"cannot read the file: {error.strerror or error}")
