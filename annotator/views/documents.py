"""The document list: search, filters, sort and keyset pages (everyone, by role), and managers' bulk actions.

Thin: the URL is read into a listing.ListQuery, the page comes from
selectors.documents, and the bulk actions are one set-based statement each
in services.assignment. Every filter lives in the URL, and the list's query
string rides along to the annotate and review pages, whose previous / next
walk the same list.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import listing, selectors, states
from ..models import ExtractorVersion, ImportBatch, Membership
from ..roles import OVERSEERS, Role
from ..jobs import start
from ..jobs.runs import RunRefused
from ..selectors import documents as doclist
from ..selectors.layers import FORMAT_NAMES
from ..services import assignment
from .access import project_page

# The newest import batches offered in the filter (older ones are still reachable by ?batch=ID).
BATCHES_SHOWN = 50
MAX_SAMPLE = 100_000


def _choices(project, role) -> dict:
    """What the filter form offers: a fixed handful of queries."""
    if role not in OVERSEERS:
        return {}
    members = Membership.objects.filter(project=project).select_related("user").order_by("user__username")
    return {
        "states": [(key, states.LABELS[key]) for key in states.ORDER],
        "labels": selectors.labels_of(project),
        # Every version by name (a small table; whether each has predictions here would read them all).
        "extractors": list(ExtractorVersion.objects.order_by("-created_at", "-id").values_list("version", flat=True)[:50]),
        "batches": list(ImportBatch.objects.filter(project=project)[:BATCHES_SHOWN]),
        "people": [m.user.username for m in members],
        "annotators": [m.user.username for m in members if m.role == Role.ANNOTATOR],
        "formats": list(FORMAT_NAMES.items()),
    }


@require_GET
@project_page()
def document_list(request, *, project, role):
    """One page of the project's documents as the URL filters and sorts them."""
    query = listing.parse(request.GET, states=states.ORDER)
    for problem in query.problems:
        messages.warning(request, problem)
    page = doclist.page_of(project, request.user, role, query)
    return render(
        request,
        "annotator/documents.html",
        {
            "project": project,
            "role": role,
            "overseer": role in OVERSEERS,
            "can_manage": role == Role.MANAGER,
            "page": page,
            "query": query,
            "list_query": query.url(after=None, before=None),
            "sorts": listing.SORT_LABELS,
            "statuses": listing.STATUSES,
            **_choices(project, role),
        },
    )


def _selection(request, query) -> tuple[str | None, str]:
    """What a bulk action applies to, as a selection string (selectors.documents.selection): the checked
    rows, everything the filter matches, or a seeded random sample of N of them; and how to say it."""
    scope = request.POST.get("scope", "checked")
    if scope == "checked":
        ids = tuple(int(i) for i in request.POST.getlist("doc") if i.isdigit())
        if not ids:
            return None, "Check some documents first (or choose “everything matching the filter”)."
        return replace(query, ids=ids).url(), f"{len(ids)} checked documents"
    if scope == "sample":
        try:
            n, seed = int(request.POST.get("sample", "")), int(request.POST.get("seed") or 0)
        except ValueError:
            return None, "A sample needs a number of documents (and a whole-number seed)."
        if not 0 < n <= MAX_SAMPLE:
            return None, f"A sample is 1 to {MAX_SAMPLE:,} documents."
        return urlencode({**query.params(), "sample": n, "seed": seed}), f"a sample of {n} (seed {seed})"
    return query.url(), "every document matching the filter"


def _run(request, project, action: str, selection: str, described: str):
    """Start a background export or prediction of the selection; its progress page follows it."""
    try:
        if action == "export":
            run = start.start_export(
                project, request.user, fmt=request.POST.get("format", "jsonl"), layer=request.POST.get("layer", "gold"),
                selection=selection,
            )
        else:
            run = start.start_prediction(project, request.user, selection=selection)
    except RunRefused as error:
        messages.error(request, str(error))
        return None
    doing = "Exporting" if action == "export" else "Predicting (where the current extractor's suggestions are missing)"
    messages.success(request, f"{doing} {described} in the background.")
    return redirect("task_detail", slug=project.slug, pk=run.pk)


def _members(project, request) -> tuple[list, list[str]]:
    """The project members named in the form (by username), and the names that are not members."""
    names = [n.strip() for n in request.POST.getlist("user") + request.POST.get("users", "").split(",") if n.strip()]
    members = Membership.objects.filter(project=project, user__username__in=names).values_list("user_id", flat=True)
    users = list(get_user_model().objects.filter(pk__in=members).order_by("username"))
    return users, sorted(set(names) - {u.username for u in users})


@require_POST
@project_page(Role.MANAGER)
def document_bulk(request, *, project, role):
    """A manager's action on a selection of the list: assign to (or take back from) named
    annotators, export, predict."""
    query = listing.parse(_list_params(request.POST.get("list", "")), states=states.ORDER).first_page()
    back = reverse("document_list", args=[project.slug]) + query.url()
    text, described = _selection(request, query)
    if text is None:
        messages.error(request, described)
        return redirect(back)
    action = request.POST.get("action")
    if action in ("export", "predict"):
        return _run(request, project, action, text, described) or redirect(back)
    users, missing = _members(project, request)
    if missing or not users:
        messages.error(request, f"Name members of this project: {', '.join(missing) or 'nobody named'}.")
        return redirect(back)
    selection = doclist.selection(project, request.user, text)
    who = ", ".join(u.username for u in users)
    if action == "assign":
        added = assignment.assign(selection, users, by=request.user, split=request.POST.get("split") == "1")
        messages.success(request, f"{added} assignment{'s' if added != 1 else ''} added ({described}, to {who}).")
    elif action == "unassign":
        removed = assignment.unassign(selection, users)
        messages.success(request, f"{removed} assignment{'s' if removed != 1 else ''} taken back from {who}; work already started stays.")
    else:
        messages.error(request, "Unknown action.")
    return redirect(back)


def _list_params(text: str) -> dict:
    """The list's own query string, carried through the bulk form in a hidden field."""
    return dict(parse_qsl(text.lstrip("?"))[:50])
