"""Import runs: a file uploaded on the Import page, stored, then read by a worker with services.imports.

The upload is kept as a file under settings.UPLOAD_DIR (one folder per
upload, the file keeping its name, which tells the format), not in the
database: an import may be up to IMPORT_MAX_BYTES, `import_file` streams a
path twice (check, then write), and a blob column would be read whole
into memory and would swell the database for a file read once. Like the
export files, the folder is shared storage when workers run elsewhere.
The file is removed once the run has finished, either way.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.db.models import F

from ..formats import IMPORT_FORMATS, FormatError
from ..formats.overlaps import POLICIES
from ..formats.units import UNITS
from ..roles import Layer
from ..services import imports
from . import chunks, runs
from .runs import RunRefused

# Problems kept on the run when invalid records are skipped (the page lists them).
MAX_PROBLEMS = 1000


def import_params(
    fmt: str = "auto",
    layer: str = "gold",
    *,
    model: str | None = None,
    annotator: str | None = None,
    skip_invalid: bool = False,
    offsets: str | None = None,
    overlaps: str | None = None,
    empty_is_gold: bool = False,
) -> dict:
    """The params of an import run (the options of `manage.py import_docs`), checked; RunRefused says what is wrong."""
    if fmt != "auto" and fmt not in IMPORT_FORMATS:
        raise RunRefused(f"unknown import format {fmt!r} (known: auto, {', '.join(IMPORT_FORMATS)})")
    if layer not in Layer.values:
        raise RunRefused(f"unknown layer {layer!r} (gold, model or annotations)")
    if offsets and offsets not in UNITS:
        raise RunRefused(f"unknown offset unit {offsets!r} (known: {', '.join(UNITS)})")
    if overlaps and overlaps not in POLICIES:
        raise RunRefused(f"unknown overlap policy {overlaps!r} (known: {', '.join(POLICIES)})")
    return {
        "format": fmt,
        "layer": layer,
        "model": model,
        "annotator": annotator,
        "skip_invalid": skip_invalid,
        "offsets": offsets,
        "overlaps": overlaps,
        "empty_is_gold": empty_is_gold,
    }


def store_upload(upload) -> str:
    """Copy an uploaded file (a Django UploadedFile) under UPLOAD_DIR; its path relative to it.

    A file over the import limit is refused here, before anything is stored.
    """
    name = Path(upload.name or "upload").name
    limit = imports.max_import_bytes()
    if upload.size and upload.size > limit:
        raise FormatError(
            f"the file is {upload.size / (1 << 30):.1f} GB, over the import limit of {limit / (1 << 30):.1f} GB", path=name
        )
    relative = Path(uuid.uuid4().hex) / name
    path = Path(settings.UPLOAD_DIR) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for piece in upload.chunks():
            handle.write(piece)
    return str(relative)


def _options(params: dict) -> dict:
    keys = ("format", "layer", "model", "annotator", "skip_invalid", "offsets", "overlaps", "empty_is_gold")
    options = {key: params.get(key) for key in keys}
    options["fmt"] = options.pop("format") or "auto"
    options["layer"] = options["layer"] or "gold"
    options["skip_invalid"] = bool(options["skip_invalid"])
    options["empty_is_gold"] = bool(options["empty_is_gold"])
    return options


def import_run(run_id: int) -> dict:
    """Import the run's stored upload: checked whole first, then written a chunk of records per transaction.

    A bad file fails the run with the `file:line: field` report and stores
    nothing; with skip_invalid the problems are kept in the result.
    """
    taken = chunks.take_step(run_id)
    if taken is None:
        return {"skipped": True}
    run, chunk = taken
    path = Path(settings.UPLOAD_DIR) / run.params["upload"]
    name = path.name
    problems: list[str] = []

    def invalid(error: FormatError) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(str(error.at(name)))

    try:
        result = imports.import_file(
            run.project,
            path,
            on_invalid=invalid,
            progress=runs.reporter(run_id, lambda: chunks.hold(chunk)),
            user=run.user,
            **_options(run.params),
        )
    except FormatError as error:
        _remove(path)
        return chunks.fail_step(run, chunk, f"{error.at(name)} Nothing from {name} was stored.")
    except Exception as error:  # the database failed halfway: what was written stays; importing again completes it
        return chunks.fail_step(run, chunk, f"{type(error).__name__}: {error}")
    summary = {
        "file": name,
        "summary": str(result),
        "documents_created": result.documents_created,
        "documents_existing": result.documents_existing,
        "spans": result.spans,
        "invalid": result.invalid + result.invalid_spans,
        "problems": problems,
    }
    if chunks.close(chunk):
        runs.finish(run_id, result=summary, done=F("total"))
    _remove(path)
    return {"documents_created": result.documents_created}


def _remove(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)
