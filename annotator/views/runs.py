"""Pages of background runs: the list, one run with a progress bar that updates itself, starting runs.

Thin: check the role, call one jobs function, render. The progress bar is
the `progress` partial; while the run goes on it asks for itself again a
second later (htmx), and stops asking once the run is done or failed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import names, selectors
from ..formats import EXPORT_FORMATS
from ..jobs import start
from ..jobs.export import export_media_type, export_path
from ..jobs.runs import RunRefused, runs_visible_to
from ..models import TaskRun
from ..roles import OVERSEERS, Role
from .access import project_page


def _visible_run(request, project, role, pk) -> TaskRun:
    run = runs_visible_to(request.user, project, role).filter(pk=pk).first()
    if run is None:
        raise Http404("No such task.")
    return run


@require_GET
@project_page()
def task_list(request, *, project, role):
    runs = list(runs_visible_to(request.user, project, role)[:50])
    return render(
        request,
        "annotator/task_list.html",
        {
            "project": project,
            "role": role,
            "runs": runs,
            "can_manage": role == Role.MANAGER,
            "can_evaluate": role in OVERSEERS,
            "formats": EXPORT_FORMATS,
            "extractor": selectors.latest_extractor(project),
        },
    )


@require_GET
@project_page()
def task_detail(request, pk, *, project, role):
    run = _visible_run(request, project, role, pk)
    context = {"project": project, "role": role, "run": run}
    template = "annotator/task_detail.html#progress" if request.htmx else "annotator/task_detail.html"
    return render(request, template, context)


@require_GET
@project_page()
def task_download(request, pk, *, project, role):
    run = _visible_run(request, project, role, pk)
    if run.kind != TaskRun.Kind.EXPORT or run.status != TaskRun.Status.DONE:
        raise Http404("This task has no file (yet).")
    path = export_path(run)
    if not path.exists():
        raise Http404("The export file is gone; start the export again.")
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=run.result.get("file") or path.name, content_type=export_media_type(run)
    )


@require_POST
@project_page(Role.MANAGER)
def task_predict(request, *, project, role):
    run = start.start_prediction(project, request.user)
    messages.success(request, "Prediction started: documents without the current extractor's suggestions get them.")
    return redirect("task_detail", slug=project.slug, pk=run.pk)


@require_POST
@project_page(Role.MANAGER)
def task_export(request, *, project, role):
    post = request.POST
    # A model or annotator of another project is "not found", like one that does not exist.
    model, annotator = post.get("model") or None, post.get("annotator") or None
    if (model and post.get("layer") == "model" and names.version_in(project, model) is None) or (
        annotator and names.annotator_in(project, annotator) is None
    ):
        raise Http404("No such model version or annotator in this project.")
    try:
        run = start.start_export(
            project, request.user, fmt=post.get("format", "jsonl"), layer=post.get("layer", "gold"), model=model, annotator=annotator
        )
    except RunRefused as error:
        messages.error(request, str(error))
        return redirect("task_list", slug=project.slug)
    return redirect("task_detail", slug=project.slug, pk=run.pk)


@require_POST
@project_page(*OVERSEERS, refusal="Only managers and reviewers see the evaluation: it shows the gold.")
def task_evaluate(request, *, project, role):
    model = request.POST.get("model") or None
    if model and names.version_in(project, model) is None:
        raise Http404("No such model version in this project.")
    run = start.start_evaluation(project, request.user, model=model)
    return redirect("task_detail", slug=project.slug, pk=run.pk)
