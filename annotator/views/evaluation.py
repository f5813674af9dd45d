"""The evaluation page: an extractor version against the gold, with pictures and an error browser.

Thin: parse the query, read the scores (selectors.dashboards: a snapshot a
background run stored, or computed now in a small project), shape what the
template draws. Only managers and reviewers see it (it shows the gold). The
number of SQL queries does not grow with documents or spans, and a GET
stores nothing. The error browser pages by keyset through the gold
documents and shows excerpts around each error; htmx requests for it
(filters, pages) get the `errors` partial only.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import scoring, selectors
from ..evaluation import display
from ..evaluation.schemes import SCHEMES
from ..selectors import dashboards
from ..jobs import start
from ..services import scores
from ..roles import OVERSEERS
from .access import project_page

SCHEME_NAMES = {
    "strict": "Strict (label and extent)",
    "exact": "Exact (extent, any label)",
    "partial": "Partial (overlap counts half)",
    "type": "Type (label, any overlap)",
    "unlabelled": "Unlabelled (extent only)",
}


def _table(results: dict, scheme: str, labels: list[str], colors: dict[str, str] | None = None) -> list[dict]:
    """Rows of the per-label table: each label, then micro and macro."""
    entries = results["schemes"][scheme]
    colors = colors or {}
    rows = [
        {"name": label, "entry": entries["per_label"].get(label, {}), "kind": "label", "color": colors.get(label, "#888888")}
        for label in labels
    ]
    rows.append({"name": "micro", "entry": entries["micro"], "kind": "total"})
    rows.append({"name": "macro", "entry": entries["macro"], "kind": "total"})
    return rows


def _compare(a: dict, b: dict, scheme: str, labels: list[str]) -> list[dict]:
    """Rows of the side-by-side table: P, R, F1 of both versions and B minus A."""
    rows = []
    for row_a, row_b in zip(_table(a, scheme, labels), _table(b, scheme, labels)):
        deltas = {
            key: (row_b["entry"].get(key) or 0.0) - (row_a["entry"].get(key) or 0.0) for key in ("precision", "recall", "f1")
        }
        rows.append({"name": row_a["name"], "kind": row_a["kind"], "a": row_a["entry"], "b": row_b["entry"], "delta": deltas})
    return rows


def _history(runs) -> dict:
    points = {"strict F1": [], "partial F1": []}
    for run in runs:
        schemes = run.results.get("schemes", {})
        title = f"{run.extractor_version} · {run.created_at:%Y-%m-%d %H:%M} · {run.gold_documents} gold documents"
        for name, scheme in (("strict F1", "strict"), ("partial F1", "partial")):
            value = schemes.get(scheme, {}).get("micro", {}).get("f1", 0.0)
            points[name].append((value, f"{name} {value:.3f} · {title}"))
    return {"chart": display.line_chart(points), "runs": list(reversed(runs))[:10]}


@require_http_methods(["GET", "HEAD", "POST"])
@project_page(*OVERSEERS, refusal="Only managers and reviewers see the evaluation: it shows the gold.")
def evaluation(request, *, project, role):
    """The page (GET: reads only, stores nothing); POST keeps the current version's scores in the history."""

    labels = selectors.labels_of(project)
    names = [label.name for label in labels]
    versions = dashboards.versions_in(project)
    by_version = {v.version: v for v in versions}
    current = by_version.get(request.GET.get("model", "")) or (versions[0] if versions else None)
    compare = by_version.get(request.GET.get("compare", ""))
    if compare == current:
        compare = None
    scheme = request.GET.get("scheme") if request.GET.get("scheme") in SCHEMES else "strict"
    kind = request.GET.get("kind") if request.GET.get("kind") in display.KIND_FILTERS else "errors"
    label = request.GET.get("label") if request.GET.get("label") in names else ""
    gold = dashboards.gold_counts(project)
    if request.method == "POST":
        return _keep_scores(request, project, current, gold)

    context = {
        "project": project,
        "role": role,
        "labels": labels,
        "colors": {label.name: label.color for label in labels},
        "versions": versions,
        "current": current,
        "compare": compare,
        "scheme": scheme,
        "schemes": [(s, SCHEME_NAMES[s]) for s in SCHEMES],
        "kind": kind,
        "kinds": [(k, name) for k, (name, _) in display.KIND_FILTERS.items()],
        "kind_names": display.KIND_NAMES,
        "label": label,
        "gold": gold,
    }
    if current is not None and gold["gold"]:
        kinds = display.KIND_FILTERS[kind][1]
        context["errors"] = dashboards.error_page(project, current, names, kinds, label, request.GET.get("after"))
        if request.htmx:
            return render(request, "annotator/evaluation.html#errors", context)
        context.update(_scores(project, current, compare, gold, names, scheme, context["colors"]))
    context["history"] = _history(scoring.history(project))
    return render(request, "annotator/evaluation.html", context)


def _scores(project, current, compare, gold, names, scheme, colors) -> dict:
    """The scores of `current` (and `compare`) with their tables and charts: from a current snapshot,
    computed now in a small project, or the last snapshot marked out of date."""
    shown = dashboards.evaluation_shown(project, current, gold, names)
    context = {"shown": shown}
    results = shown.results
    if results is None:
        return context
    columns = results["labels"]
    context.update(
        results=results,
        unpredicted=results.get("gold_documents", results["documents"]) - results.get("predicted_documents", 0),
        table=_table(results, scheme, columns, colors),
        bars=display.bar_chart(
            {name: results["schemes"][scheme]["per_label"][name] for name in columns}
            | {"micro": results["schemes"][scheme]["micro"]}
        ),
        heat=display.heat_map(results["confusion"]),
        overview=[(s, SCHEME_NAMES[s], results["schemes"][s]) for s in SCHEMES],
    )
    if compare is not None:
        other = dashboards.evaluation_shown(project, compare, gold, names)
        context["other"] = other
        if other.results is not None:
            context["other_unpredicted"] = other.results.get("gold_documents", 0) - other.results.get("predicted_documents", 0)
            columns_b = list(dict.fromkeys(columns + other.results["labels"]))
            context["comparison"] = _compare(results, other.results, scheme, columns_b)
    return context


def _keep_scores(request, project, current, gold):
    """POST: keep the current version's scores in the history (and as the page's snapshot): at once in a
    small project, by a background run in a large one."""
    if current is None:
        messages.error(request, "No extractor predictions to score.")
    elif gold["gold"] <= dashboards.INLINE_LIMIT:
        scored = scores.refresh_evaluation(project, current)
        messages.success(request, f"Scores of {current.version} kept in the history (run {scored.run.pk}).")
    else:
        run = start.start_evaluation(project, request.user, model=current.version)
        messages.success(request, f"Scoring {current.version} on {gold['gold']} gold documents in the background (task {run.pk}).")
    target = redirect("evaluation", slug=project.slug)
    if current is not None:
        target["Location"] += "?" + urlencode({"model": current.version})
    return target
