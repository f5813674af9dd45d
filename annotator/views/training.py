"""The training page: train on the gold, compare each version with the one suggesting now, promote, the curve.

Thin: check the role, call services.training, shape what the template
draws. Managers and reviewers see it (it shows scores on the gold);
managers start, cancel and promote. The queries do not grow with the
number of documents (the scores are stored on each training).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import selectors
from ..evaluation import display
from ..evaluation.schemes import SCHEMES
from .evaluation import SCHEME_NAMES
from ..models import ExtractorVersion, TaskRun, TrainingRun
from ..roles import OVERSEERS, Role
from ..jobs import start
from ..jobs import training as training_runs
from ..selectors import training as training_reads
from ..services import training
from .access import project_page

MANAGER = Role.MANAGER
SEE_REFUSAL = "Only managers and reviewers see the training page: it shows scores on the gold."


def _f1(results: dict | None, scheme: str = "strict") -> float | None:
    if not results:
        return None
    return results["schemes"][scheme]["micro"]["f1"]


def _comparison(results: dict, colors: dict[str, str]) -> dict:
    """Every scheme (micro) and the strict per-label scores of the new version beside the current one."""
    new, current = results.get("dev") or {}, results.get("current") or {}
    schemes = [
        {
            "name": SCHEME_NAMES[s],
            "new": new.get("schemes", {}).get(s, {}).get("micro", {}),
            "current": current.get("schemes", {}).get(s, {}).get("micro", {}),
        }
        for s in SCHEMES
    ]
    for row in schemes:
        row["delta"] = (row["new"].get("f1") or 0.0) - (row["current"].get("f1") or 0.0)
    labels = new.get("labels") or []
    per_label = []
    for label in labels:
        a = new.get("schemes", {}).get("strict", {}).get("per_label", {}).get(label, {})
        b = current.get("schemes", {}).get("strict", {}).get("per_label", {}).get(label, {})
        per_label.append({"label": label, "color": colors.get(label, "#888888"), "new": a, "current": b, "delta": (a.get("f1") or 0.0) - (b.get("f1") or 0.0)})
    return {"schemes": schemes, "per_label": per_label}


def _curve(points: list[dict], colors: dict[str, str]) -> dict | None:
    """The learning curve as an SVG line chart: dev F1 (micro and per label) against gold documents."""
    if not points:
        return None
    series = {"micro F1": [(p["f1"], f"{p['documents']} documents ({round(100 * p['fraction'])} %): micro F1 {p['f1']:.3f}") for p in points]}
    for label in points[-1]["per_label"]:
        series[label] = [
            (p["per_label"].get(label, 0.0), f"{p['documents']} documents: {label} F1 {p['per_label'].get(label, 0.0):.3f}")
            for p in points
        ]
    chart = display.line_chart(series, width=640, height=240)
    strokes = ["#212529", *[colors.get(label, "#888888") for label in list(series)[1:]]]
    lines = [{"line": line, "color": color, "micro": i == 0} for i, (line, color) in enumerate(zip(chart.lines, strokes))]
    ticks_x = [{"x": point.x, "label": p["documents"]} for point, p in zip(chart.lines[0].points, points)]
    return {"chart": chart, "lines": lines, "ticks_x": ticks_x, "axis_y": chart.bottom + 16}


@require_GET
@project_page(*OVERSEERS, refusal=SEE_REFUSAL)
def training_page(request, *, project, role):
    if request.GET.get("progress"):
        run = TaskRun.objects.filter(project=project, kind=TaskRun.Kind.TRAIN, pk=request.GET["progress"]).first()
        if run is None:
            raise Http404("No such training run.")
        context = {"project": project, "active": run, "can_manage": role == MANAGER}
        return render(request, "annotator/training.html#progress", context)
    runs = training_reads.trainings(project)
    shown = None
    if request.GET.get("training"):
        shown = next((r for r in runs if str(r.pk) == request.GET["training"]), None)
        if shown is None:
            shown = TrainingRun.objects.filter(project=project, pk=request.GET["training"]).select_related("extractor").first()
            if shown is None:
                raise Http404("No such training.")
    if shown is None:
        shown = next((r for r in runs if r.extractor_id), None)
    labels = selectors.labels_of(project)
    colors = {label.name: label.color for label in labels}
    curve_run = shown if shown and shown.results.get("curve") else next((r for r in runs if r.results.get("curve")), None)
    active = (
        TaskRun.objects.filter(project=project, kind=TaskRun.Kind.TRAIN, status__in=[TaskRun.Status.QUEUED, TaskRun.Status.RUNNING])
        .order_by("-created_at")
        .first()
    )
    suggesting = ExtractorVersion.objects.filter(pk=project.suggestion_model_id).first() if project.suggestion_model_id else None
    counts = training_reads.label_counts(project)
    rows = [
        {
            "run": run,
            "f1": _f1(run.results.get("dev")),
            "current_f1": _f1(run.results.get("current")),
            "suggesting": run.extractor_id is not None and run.extractor_id == project.suggestion_model_id,
        }
        for run in runs
    ]
    context = {
        "project": project,
        "role": role,
        "can_manage": role == MANAGER,
        "rows": rows,
        "shown": shown,
        "comparison": _comparison(shown.results, colors) if shown and shown.results.get("dev") else None,
        "curve_run": curve_run,
        "curve": _curve(curve_run.results["curve"], colors) if curve_run else None,
        "active": active,
        "suggesting": suggesting,
        "gold_documents": project.documents.filter(gold_at__isnull=False).count(),
        "label_counts": [(label, counts.get(label.name, 0)) for label in labels],
        "colors": colors,
    }
    return render(request, "annotator/training.html", context)


@require_POST
@project_page(MANAGER)
def training_start(request, *, project, role):
    post = request.POST
    try:
        dev_fraction = float(post.get("dev_fraction") or 0.2)
        seed = int(post.get("seed") or 0)
    except ValueError:
        messages.error(request, "The dev fraction is a number between 0 and 1 and the seed a whole number.")
        return redirect("training", slug=project.slug)
    try:
        start.start_training(
            project,
            request.user,
            dev_fraction=dev_fraction,
            seed=seed,
            curve=bool(post.get("curve")),
            promote=True if post.get("promote") else None,
        )
    except training.TrainingRefused as error:
        messages.error(request, str(error))
        return redirect("training", slug=project.slug)
    messages.success(request, "Training started: its progress and log show below.")
    return redirect("training", slug=project.slug)


@require_POST
@project_page(MANAGER)
def training_cancel(request, pk, *, project, role):
    run = TaskRun.objects.filter(project=project, pk=pk, kind=TaskRun.Kind.TRAIN).first()
    if run is None:
        raise Http404("No such training run.")
    if training_runs.cancel(run, request.user):
        messages.success(request, "Training cancelled.")
    else:
        messages.error(request, "That training has finished already.")
    return redirect("training", slug=project.slug)


@require_POST
@project_page(MANAGER)
def training_promote(request, *, project, role):
    version = request.POST.get("version") or ""
    extractor = None
    if version:
        extractor = ExtractorVersion.objects.filter(version=version, trainings__project=project).distinct().first()
        if extractor is None:
            raise Http404("No such trained version in this project.")
    try:
        run = start.promote(project, extractor, request.user)
    except training.TrainingRefused as error:
        messages.error(request, str(error))
        return redirect("training", slug=project.slug)
    who = extractor.version if extractor else "the rule extractor"
    messages.success(request, f"Suggestions now come from {who}; documents without its suggestions are being predicted.")
    return redirect("task_detail", slug=project.slug, pk=run.pk)


@require_POST
@project_page(MANAGER)
def training_settings(request, *, project, role):
    try:
        every = int(request.POST.get("retrain_every") or 0)
        if every < 0:
            raise ValueError
    except ValueError:
        messages.error(request, "Retrain after a whole number of new gold documents (0: never).")
        return redirect("training", slug=project.slug)
    project.retrain_every = every
    project.auto_promote = bool(request.POST.get("auto_promote"))
    project.save(update_fields=["retrain_every", "auto_promote"])
    messages.success(request, "Training settings saved.")
    return redirect("training", slug=project.slug)
