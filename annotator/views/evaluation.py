"""The evaluation page: an extractor version against the gold, with pictures and an error browser.

Thin: parse the query, call scoring, shape what the template draws. Only
managers and reviewers see it (it shows the gold). The number of SQL
queries does not grow with documents or spans. htmx requests for the error
browser (filters, pages) get the `errors` partial only.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import scoring, selectors
from ..evaluation import display
from ..evaluation.matching import KINDS
from ..evaluation.schemes import SCHEMES
from ..roles import OVERSEERS
from .access import project_page

PAGE_SIZE = 10
SCHEME_NAMES = {
    "strict": "Strict (label and extent)",
    "exact": "Exact (extent, any label)",
    "partial": "Partial (overlap counts half)",
    "type": "Type (label, any overlap)",
    "unlabelled": "Unlabelled (extent only)",
}


def _page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


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


def _error_browser(project, scored, kind: str, label: str, page: int) -> dict:
    """The documents with outcomes that pass the filters, a page of them with their texts cut into pieces."""
    shown = display.KIND_FILTERS[kind][1]
    listed = []
    for document in scored.gold.documents:
        found = [o for o in scored.evaluation.outcomes.get(document["id"], []) if display.keep(o, shown, label)]
        if found:
            listed.append((document, found))
    # Most outcomes first: that is where the rules fail most.
    listed.sort(key=lambda item: (-len(item[1]), item[0]["order"], item[0]["id"]))
    pages = max(1, -(-len(listed) // PAGE_SIZE))
    page = min(page, pages)
    chunk = listed[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    texts = scoring.documents_with_text([d["id"] for d, _ in chunk])
    documents = []
    for document, found in chunk:
        stored = texts[document["id"]]
        documents.append(
            {
                "document": stored,
                "counts": [
                    (k, n, display.KIND_NAMES[k])
                    for k, n in sorted(Counter(o.kind for o in found).items(), key=lambda i: KINDS.index(i[0]))
                ],
                "pieces": display.pieces(stored.text, found),
            }
        )
    return {
        "documents": documents,
        "matching": len(listed),
        "page": page,
        "pages": pages,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < pages else None,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@project_page(*OVERSEERS, refusal="Only managers and reviewers see the evaluation: it shows the gold.")
def evaluation(request, *, project, role):
    """The page (GET: reads only, stores nothing); POST keeps the current version's scores in the history."""

    labels = selectors.labels_of(project)
    names = [label.name for label in labels]
    versions = list(selectors.extractor_versions(project).order_by("-created_at", "-id"))
    by_version = {v.version: v for v in versions}
    current = by_version.get(request.GET.get("model", "")) or (versions[0] if versions else None)
    compare = by_version.get(request.GET.get("compare", ""))
    if compare == current:
        compare = None
    scheme = request.GET.get("scheme") if request.GET.get("scheme") in SCHEMES else "strict"
    kind = request.GET.get("kind") if request.GET.get("kind") in display.KIND_FILTERS else "errors"
    label = request.GET.get("label") if request.GET.get("label") in names else ""
    gold = scoring.gold_of(project)
    if request.method == "POST":
        if current is None:
            messages.error(request, "No extractor predictions to score.")
        else:
            scored = scoring.score(project, current, gold=gold, labels=names, store=True)
            messages.success(request, f"Scores of {current.version} kept in the history (run {scored.run.pk}).")
        target = redirect("evaluation", slug=project.slug)
        if current is not None:
            target["Location"] += "?" + urlencode({"model": current.version})
        return target

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
    if current is not None:
        scored = scoring.score(project, current, gold=gold, labels=names, keep_outcomes=True, store=False)
        context["scored"] = scored
        context["errors"] = _error_browser(project, scored, kind, label, _page_number(request.GET.get("page")))
        if request.htmx:
            return render(request, "annotator/evaluation.html#errors", context)
        results = scored.results
        columns = results["labels"]
        context.update(
            results=results,
            table=_table(results, scheme, columns, context["colors"]),
            bars=display.bar_chart(
                {name: results["schemes"][scheme]["per_label"][name] for name in columns}
                | {"micro": results["schemes"][scheme]["micro"]}
            ),
            heat=display.heat_map(results["confusion"]),
            overview=[(s, SCHEME_NAMES[s], results["schemes"][s]) for s in SCHEMES],
        )
        if compare is not None:
            other = scoring.score(project, compare, gold=gold, labels=names, store=False)
            columns_b = list(dict.fromkeys(columns + other.results["labels"]))
            context.update(other=other, comparison=_compare(results, other.results, scheme, columns_b))
    context["history"] = _history(scoring.history(project))
    return render(request, "annotator/evaluation.html", context)
