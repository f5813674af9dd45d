"""Export runs: check what is asked, write the layer to a file under settings.EXPORT_DIR, name the download."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from ..formats import EXPORT_FORMATS, FORMATS
from ..models import ExtractorVersion, TaskRun
from ..roles import Layer
from ..selectors import documents as doclist
from ..services import exports, gold
from . import chunks, runs
from .runs import RunRefused

LAYERS = tuple(Layer.values)


def export_params(fmt: str, layer: str, model: str | None, annotator: str | None, as_of: str | None) -> dict:
    """The params of an export run, checked; RunRefused says what is wrong. `as_of` reads the gold's history."""
    if fmt not in EXPORT_FORMATS:
        raise RunRefused(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    if layer not in LAYERS:
        raise RunRefused(f"unknown layer {layer!r} (gold, model or annotations)")
    if layer == "model" and model and not ExtractorVersion.objects.filter(version=model).exists():
        raise RunRefused(f"no predictions of {model!r} in this project")
    if annotator and not get_user_model().objects.filter(username=annotator).exists():
        raise RunRefused(f"no such annotator {annotator!r}")
    params = {"format": fmt, "layer": layer, "model": model, "annotator": annotator}
    if as_of:
        if layer != "gold":
            raise RunRefused("as_of reads the gold's history; other layers have none")
        try:
            params["as_of"] = gold.parse_as_of(as_of).isoformat()
        except gold.GoldRefused as error:
            raise RunRefused(str(error)) from None
    return params


def export_path(run: TaskRun) -> Path:
    """Where an export run writes its file (the name the download gets is in run.result)."""
    module = FORMATS[run.params["format"]]
    suffix = ".zip" if module.KIND == "files" else module.SUFFIX
    return Path(settings.EXPORT_DIR) / f"run-{run.pk}{suffix}"


def export_media_type(run: TaskRun) -> str:
    module = FORMATS[run.params["format"]]
    return "application/zip" if module.KIND == "files" else module.MEDIA_TYPE


def export_run(run_id: int) -> dict:
    """Write the export of a run to its file, counting documents as they are written."""
    taken = chunks.take_step(run_id)
    if taken is None:
        return {"skipped": True}
    run, chunk = taken
    params = run.params
    annotator = get_user_model().objects.filter(username=params["annotator"]).first() if params.get("annotator") else None
    path = export_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = exports.export_layer(
            run.project,
            fmt=params["format"],
            layer=params["layer"],
            output=path,
            model=params.get("model"),
            annotator=annotator,
            progress=runs.reporter(run_id, lambda: chunks.hold(chunk)),
            as_of=gold.parse_as_of(params["as_of"]) if params.get("as_of") else None,
            only=doclist.selection(run.project, run.user, params["selection"]) if "selection" in params else None,
        )
    except Exception as error:
        return chunks.fail_step(run, chunk, f"{type(error).__name__}: {error}")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    summary = {
        "documents": result.documents,
        "spans": result.spans,
        "problems": result.problems,
        "file": f"{run.project.slug}-{params['layer']}-{params['format']}-{stamp}{path.suffix}",
        "bytes": path.stat().st_size,
    }
    if chunks.close(chunk):
        runs.finish(run_id, result=summary, done=result.documents, total=result.documents)
    return summary
