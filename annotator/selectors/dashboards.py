"""Reads for the progress, project, agreement and evaluation pages: counts by grouped queries.

Every count a page shows comes from a fixed handful of SQL statements that
group in the database (documents per state, annotations per annotator and
status); nothing loads every document or span into Python. The numbers that
must read every span (spans per label, agreement, an evaluation) are shown
from a snapshot (models.ScoreSnapshot) that services.scores stores from a
background run, with `basis`: what it was computed from. A page shows the
snapshot when its basis is current; a small project (up to INLINE_LIMIT
documents to read) is computed in the request instead, without storing; a
large one shows the last snapshot with its age and a way to recompute.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Window
from django.db.models.functions import RowNumber

from .. import scoring, states
from ..evaluation import display
from ..evaluation.agreement import agreement
from ..evaluation.matching import KINDS
from ..evaluation.schemes import evaluate
from ..models import (
    Annotation,
    AnnotatorSummary,
    AnnotationSpan,
    DocumentSummary,
    ExtractorVersion,
    GoldRevision,
    GoldSpan,
    PredictedSpan,
    Prediction,
    Project,
    ScoreSnapshot,
    StateCount,
)
from . import latest_extractor
from .documents import kept_totals

SUBMITTED = Annotation.Status.SUBMITTED
DRAFT = Annotation.Status.DRAFT
Kind = ScoreSnapshot.Kind
# Up to this many documents to read (gold documents for an evaluation or the spans per label, submitted
# annotations for agreement) a page computes the numbers itself rather than showing a snapshot.
INLINE_LIMIT = 2000
# The agreement page lists the documents of lowest agreement; a snapshot keeps that many.
LOWEST = 20


# ---------------------------------------------------------------- a user's progress


@dataclass
class Progress:
    total: int
    done: int
    gold: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def progress_of(project: Project, user) -> Progress:
    """The user's documents done (of all in the project) and how many have gold (two queries of the
    summaries the triggers keep: the user's row, a row a state)."""
    mine = AnnotatorSummary.objects.filter(project=project, annotator=user).values_list("submitted", "skipped").first()
    totals = gold_counts(project)
    return Progress(total=totals["total"], done=sum(mine or ()), gold=totals["gold"])


# ---------------------------------------------------------------- documents by state


def state_counts(project: Project) -> dict[str, int]:
    """How many documents are in each state (annotator.states): the project's rows of models.StateCount
    (kept by triggers from the documents' summaries), a row a state."""
    counts, _ = _grouped_counts(project)
    return counts


def _grouped_counts(project: Project) -> tuple[dict[str, int], list[tuple[int, int]]]:
    """Documents per state (a row a state), and per number of submissions among those submitted but not
    yet enough (a grouped query over those documents' summaries)."""
    grouped = dict(StateCount.objects.filter(project=project).order_by().values_list("state").annotate(n=Sum("documents")))
    counts = {key: grouped.get(key, 0) for key in states.ORDER}
    summaries = DocumentSummary.objects.filter(project=project).order_by()
    partial = summaries.filter(state=states.SUBMITTED).values_list("submitted").annotate(n=Count("pk"))
    needed = states.needed_for_review(project.annotators_per_document, project.needs_review)
    submitted_of_k = sorted((n, documents) for n, documents in partial if 0 < n < needed)
    return counts, submitted_of_k


# ---------------------------------------------------------------- the progress dashboard


@dataclass
class Dashboard:
    states: dict[str, int]
    submitted_of_k: list[tuple[int, int]]  # (n submitted, documents) for documents not yet reviewed
    annotators: list[dict]
    labels: list[dict]
    k: int
    labels_shown: "Shown | None" = None  # where the spans per label come from (a snapshot, or live)


def annotator_work(project: Project, medians: dict[str, int] | None = None) -> list[dict]:
    """Per annotator: submitted, draft and skipped counts (one read of models.AnnotatorSummary, a row an
    annotator) and the median seconds of a submitted document from `medians` (annotator_medians)."""
    rows = (
        AnnotatorSummary.objects.filter(project=project)
        .filter(Q(submitted__gt=0) | Q(drafts__gt=0) | Q(skipped__gt=0))
        .order_by("annotator__username")
        .values_list("annotator__username", "submitted", "drafts", "skipped")
    )
    medians = medians or {}
    return [
        {"name": name, "submitted": submitted, "draft": drafts, "skipped": skipped, "median_seconds": medians.get(name)}
        for name, submitted, drafts, skipped in rows
    ]


def annotator_medians(project: Project) -> dict[str, int]:
    """Each annotator's median seconds of a submitted document, picked in the database with a window (the
    one or two middle rows of each annotator's times come back). It reads every submitted annotation: a
    small project's page runs it, a large one's shows it from the snapshot of the spans per label."""
    middle = (
        Annotation.objects.filter(document__project=project, kind=Annotation.Kind.ANNOTATION, status=SUBMITTED)
        .order_by()
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("annotator_id")], order_by=[F("time_spent").asc(), F("pk").asc()]),
            size=Window(Count("pk"), partition_by=[F("annotator_id")]),
        )
        .filter(Q(rank=(F("size") + 1) / 2) | Q(rank=(F("size") + 2) / 2))
        .values_list("annotator__username", "time_spent")
    )
    times: dict[str, list[float]] = {}
    for username, seconds in middle:
        times.setdefault(username, []).append(seconds)
    return {username: round(sum(values) / len(values)) for username, values in times.items()}


def dashboard(project: Project) -> Dashboard:
    """Documents by state, work per annotator (grouped counts), spans per label (snapshot or live)."""
    counts, submitted_of_k = _grouped_counts(project)
    board_states = {states.LABELS[key]: n for key, n in counts.items()}
    labels = list(project.labels.all())
    shown = labels_shown(project, labels, sum(counts.values()))
    per_label = (shown.results or {}).get("labels", {})
    rows = [
        {"label": label, **{key: per_label.get(label.name, {}).get(key, 0) for key in ("gold", "annotations", "model")}}
        for label in labels
    ]
    work = annotator_work(project, (shown.results or {}).get("medians"))
    return Dashboard(board_states, submitted_of_k, work, rows, project.annotators_per_document, shown)


# ---------------------------------------------------------------- snapshots and what they were computed from


def snapshot(project: Project, kind: str, subject: str = "") -> ScoreSnapshot | None:
    """The stored snapshot of `kind` (for `subject`, e.g. an extractor version), if any (one query)."""
    return ScoreSnapshot.objects.filter(project=project, kind=kind, subject=subject).first()


def _latest_id(queryset) -> int:
    return queryset.order_by("-pk").values_list("pk", flat=True).first() or 0


def basis(project: Project, kind: str, subject: str = "", *, labels=None, counts: dict | None = None) -> str:
    """What a snapshot of `kind` depends on, in a few index lookups (no scan).

    The project's own: its documents with and without gold, its labels (ids
    and names), its submitted annotations (how many, the latest time). The
    newest gold revision and prediction are global ids, read from the
    primary key's end: gold or predictions written in another project make
    a snapshot look stale too, which costs a recomputation, never a wrong
    number.
    """
    labels = labels if labels is not None else list(project.labels.all())
    counts = counts if counts is not None else gold_counts(project)
    parts = [
        f"docs:{counts['total']}:{counts['gold']}",
        "labels:" + ",".join(f"{label.pk}={label.name}" for label in labels),
    ]
    if kind in (ScoreSnapshot.Kind.EVALUATION, ScoreSnapshot.Kind.LABELS):
        parts.append(f"gold:{_latest_id(GoldRevision.objects)}")
    if kind in (ScoreSnapshot.Kind.AGREEMENT, ScoreSnapshot.Kind.LABELS):
        parts.append(f"submitted:{_submissions(project)}")
    if kind == ScoreSnapshot.Kind.EVALUATION:
        parts.append(f"predictions:{subject}:{_latest_id(Prediction.objects.filter(extractor__version=subject))}")
    if kind == ScoreSnapshot.Kind.LABELS:
        parts.append(f"predictions:{_latest_id(Prediction.objects)}")
    return "|".join(parts)


def _submissions(project: Project) -> str:
    """How many annotations of the project are submitted, and how often the submitted set changed.

    Read from the annotators' summaries (a row an annotator, kept by
    triggers): `submitted_changes` moves whenever an annotation is
    submitted, reopened, skipped after submission, submitted again by an
    import, or deleted, so the two move whenever the submitted spans can.
    """
    row = AnnotatorSummary.objects.filter(project=project).aggregate(n=Sum("submitted"), changes=Sum("submitted_changes"))
    return f"{row['n'] or 0}@{row['changes'] or 0}"


def versions_in(project: Project) -> list[ExtractorVersion]:
    """The extractor versions with predictions in the project, newest first: an EXISTS a version (no count
    of its predictions, which would read one row a document)."""
    predicted = Prediction.objects.filter(extractor=OuterRef("pk"), document__project=project)
    return list(ExtractorVersion.objects.filter(Exists(predicted)).order_by("-created_at", "-id"))


def gold_counts(project: Project) -> dict[str, int]:
    """How many documents the project has, and how many of them have gold (selectors.documents.kept_totals)."""
    return kept_totals(project)


def submitted_annotations(project: Project) -> int:
    """How many submitted annotations the project has (what agreement reads), from the annotators' summaries."""
    return AnnotatorSummary.objects.filter(project=project).aggregate(n=Sum("submitted"))["n"] or 0



# ---------------------------------------------------------------- agreement


def project_agreement(project: Project) -> dict:
    """Inter-annotator agreement over the submitted annotations (three queries, then pure code).

    It reads every submitted span: a command or a background run calls it
    (services.scores), a page only for a small project.
    """
    annotations = list(
        Annotation.objects.filter(
            document__project=project, kind=Annotation.Kind.ANNOTATION, status=SUBMITTED
        ).values_list("pk", "document_id", "annotator__username")
    )
    by_user: dict[str, dict[int, list]] = {}
    owner = {}
    for pk, document_id, username in annotations:
        by_user.setdefault(username, {})[document_id] = []
        owner[pk] = (username, document_id)
    spans = AnnotationSpan.objects.filter(annotation_id__in=owner).values_list("annotation_id", "label__name", "start", "end")
    for annotation_id, label, start, end in spans:
        username, document_id = owner[annotation_id]
        by_user[username][document_id].append((label, start, end))
    documents = {
        d.pk: d
        for d in project.documents.filter(pk__in={d for _, d in owner.values()}).only("id", "project", "title", "tokens", "external_id")
    }
    result = agreement(
        by_user,
        tokens={pk: [tuple(t) for t in d.tokens] for pk, d in documents.items()},
        labels=[label.name for label in project.labels.all()],
    )
    for entry in result["by_document"]:
        entry["document"] = documents[entry["id"]]
    return result


def compact_agreement(result: dict) -> dict:
    """The agreement result as stored and shown: the LOWEST documents only, each named by id and title."""
    lowest = []
    for entry in result["by_document"][:LOWEST]:
        document = entry["document"]
        lowest.append({**{k: v for k, v in entry.items() if k != "document"}, "document": str(document), "id": document.pk})
    return {**result, "by_document": lowest, "documents_scored": len(result["by_document"])}


def agreement_now(project: Project) -> dict:
    """Agreement computed at once, as a snapshot keeps it (a small project's page, a background run)."""
    return compact_agreement(project_agreement(project))


# ---------------------------------------------------------------- spans per label


def label_counts(project: Project) -> dict[str, dict[str, int]]:
    """Spans per label in the gold, the submitted annotations and the latest extractor's predictions.

    Three grouped counts over every span of the project: a background run
    stores them (services.scores); a page reads them live only for a small project.
    """
    gold = dict(
        GoldSpan.objects.filter(document__project=project).order_by().values("label__name").annotate(n=Count("id")).values_list("label__name", "n")
    )
    annotated = dict(
        AnnotationSpan.objects.filter(
            annotation__document__project=project,
            annotation__kind="annotation",
            annotation__status="submitted",
        )
        .order_by()
        .values("label__name")
        .annotate(n=Count("id"))
        .values_list("label__name", "n")
    )
    latest = latest_extractor(project)
    predicted = (
        dict(
            PredictedSpan.objects.filter(prediction__extractor=latest, prediction__document__project=project)
            .order_by()
            .values("label__name")
            .annotate(n=Count("id"))
            .values_list("label__name", "n")
        )
        if latest
        else {}
    )
    names = set(gold) | set(annotated) | set(predicted)
    return {
        name: {"gold": gold.get(name, 0), "annotations": annotated.get(name, 0), "model": predicted.get(name, 0)}
        for name in sorted(names)
    }


def labels_now(project: Project) -> dict:
    """The progress page's heavy numbers as a snapshot keeps them: spans per label, annotators' medians."""
    return {"labels": label_counts(project), "medians": annotator_medians(project)}


# ---------------------------------------------------------------- what a page shows (snapshot or live)


class Shown:
    """Numbers for a page: the results, where they come from, and whether they are out of date."""

    def __init__(self, results: dict | None, snapshot: ScoreSnapshot | None = None, stale: bool = False):
        self.results = results
        self.snapshot = snapshot
        self.stale = stale

    @property
    def live(self) -> bool:
        """Computed in this request (a small project), not read from a snapshot."""
        return self.snapshot is None and self.results is not None


def agreement_shown(project: Project) -> Shown:
    """The agreement for the page: the snapshot if it is current, else computed now if small, else the
    last snapshot marked stale (or nothing yet)."""
    stored = snapshot(project, Kind.AGREEMENT)
    if stored is not None and stored.basis == basis(project, Kind.AGREEMENT):
        return Shown(stored.results, stored)
    if submitted_annotations(project) <= INLINE_LIMIT:
        return Shown(agreement_now(project))
    return Shown(stored.results if stored else None, stored, stale=True)


def labels_shown(project: Project, labels: list, documents: int) -> Shown:
    """The spans per label for the progress page, as `agreement_shown` decides (by documents)."""
    stored = snapshot(project, Kind.LABELS)
    if stored is not None and stored.basis == basis(project, Kind.LABELS, labels=labels):
        return Shown(stored.results, stored)
    if documents <= INLINE_LIMIT:
        return Shown(labels_now(project))
    return Shown(stored.results if stored else None, stored, stale=True)


def evaluation_shown(project: Project, extractor: ExtractorVersion, counts: dict, labels: list[str]) -> Shown:
    """An extractor's scores for the page, as `agreement_shown` decides."""
    stored = snapshot(project, Kind.EVALUATION, extractor.version)
    if stored is not None and stored.basis == basis(project, Kind.EVALUATION, extractor.version, counts=counts):
        return Shown(stored.results, stored)
    if counts["gold"] <= INLINE_LIMIT:
        scored = scoring.score(project, extractor, labels=labels, store=False)
        results = {**scored.results, "gold_documents": len(scored.gold.documents), "total_documents": scored.gold.total_documents}
        return Shown(results)
    return Shown(stored.results if stored else None, stored, stale=True)


# ---------------------------------------------------------------- the evaluation's error browser

ERROR_PAGE = 10  # documents a page of the error browser shows
ERROR_WINDOW = 100  # gold documents scored for one page at most (so a page costs the same in any project)


def _cursor(value: str | None) -> tuple[int, int] | None:
    """The error browser's position: "order-id" of the last document of the previous page."""
    try:
        order, pk = (int(part) for part in (value or "").split("-"))
    except ValueError:
        return None
    return order, pk


def error_page(project: Project, extractor: ExtractorVersion, labels: list[str], kinds: set[str], label: str, after: str | None) -> dict:
    """A page of the error browser: the next gold documents (work order, after the cursor `after`) whose
    outcomes pass the filters, each with excerpts around its outcomes.

    Keyset paging: it scores at most ERROR_WINDOW gold documents from the
    cursor on (four queries: the window, its gold and predicted spans, the
    shown documents' texts) and stops at ERROR_PAGE documents shown; the
    next page starts after the last document looked at.
    """
    window = project.documents.filter(gold_at__isnull=False).order_by("order", "id")
    cursor = _cursor(after)
    if cursor is not None:
        window = window.filter(Q(order__gt=cursor[0]) | Q(order=cursor[0], pk__gt=cursor[1]))
    rows = list(window.values_list("id", "order")[:ERROR_WINDOW])
    ids = [pk for pk, _ in rows]
    gold = GoldSpan.objects.filter(document_id__in=ids).values_list("document_id", "label__name", "start", "end")
    predicted = PredictedSpan.objects.filter(prediction__extractor=extractor, prediction__document_id__in=ids).values_list(
        "prediction__document_id", "label__name", "start", "end"
    )
    outcomes = evaluate(list(gold), list(predicted), labels=labels, documents=ids, keep_outcomes=True).outcomes
    shown, last, seen = [], None, 0
    for pk, order in rows:
        last, seen = (order, pk), seen + 1
        found = [o for o in outcomes.get(pk, []) if display.keep(o, kinds, label)]
        if found:
            shown.append((pk, found))
            if len(shown) == ERROR_PAGE:
                break
    texts = scoring.documents_with_text([pk for pk, _ in shown])
    documents = [_error_item(texts[pk], found) for pk, found in shown]
    more = last is not None and (len(shown) == ERROR_PAGE or len(rows) == ERROR_WINDOW)
    return {
        "documents": documents,
        "looked_at": seen,
        "first": cursor is None,
        "next": f"{last[0]}-{last[1]}" if more else None,
    }


def _error_item(document, found: list) -> dict:
    kinds = Counter(o.kind for o in found)
    return {
        "document": document,
        "counts": [(k, kinds[k], display.KIND_NAMES[k]) for k in KINDS if kinds.get(k)],
        "excerpts": display.excerpts(document.text, found),
    }
