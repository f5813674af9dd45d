"""The review queue: documents waiting for review first, then the reviewed ones, fifty at a time.

Read from the documents' summaries (models.DocumentSummary, kept by
triggers), whose index (project, state, order, document) holds each state's
documents in work order: a page is one index range per state, cut by a
cursor (keyset, no OFFSET), and the counts are index-only. The same
queries run on every page and at every project size.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from .. import states
from ..models import DocumentSummary, Project
from .documents import DocumentRow

PAGE = 50
SECTIONS = {"w": states.WAITING, "r": states.REVIEWED}  # in the order the queue shows them


@dataclass
class QueuePage:
    rows: list[tuple[DocumentRow, bool]]  # (row, whether it waits)
    waiting: int
    reviewed: int
    next: str | None  # the cursor of the next page
    first: bool


def parse_cursor(value: str | None) -> tuple[str, int, int] | None:
    """'w-ORDER-ID' or 'r-ORDER-ID' (the last row of the previous page); None for the first page or nonsense."""
    parts = (value or "").split("-")
    if len(parts) != 3 or parts[0] not in SECTIONS or not all(p.isdigit() for p in parts[1:]):
        return None
    return parts[0], int(parts[1]), int(parts[2])


def _section(project: Project, section: str, after: tuple[int, int] | None, size: int) -> list[DocumentSummary]:
    rows = DocumentSummary.objects.filter(project=project, state=SECTIONS[section])
    if after is not None:
        rows = rows.filter(Q(order__gt=after[0]) | Q(order=after[0], document_id__gt=after[1]))
    rows = rows.select_related("document").only(
        "document_id", "order", "submitted", "drafts", "gold_at", "state",
        "document__id", "document__title", "document__external_id", "document__project_id",
    )
    return list(rows.order_by("order", "document_id")[:size])


def review_queue(project: Project, after: str | None = None, size: int = PAGE) -> QueuePage:
    """One page of the queue after the cursor `after`, and how many documents wait and were reviewed.

    Three queries whatever the page: the waiting rows (none asked for once
    the cursor is past them), the reviewed rows filling the page, the counts.
    """
    cursor = parse_cursor(after)
    in_reviewed = cursor is not None and cursor[0] == "r"
    # Past the waiting documents, their query still runs, for an empty range, so every page costs the same.
    waiting = _section(project, "w", (1 << 31, 0) if in_reviewed else (cursor[1:] if cursor else None), size + 1)
    reviewed = _section(project, "r", cursor[1:] if in_reviewed else None, max(1, size + 1 - len(waiting)))
    found = [(s, "w") for s in waiting] + [(s, "r") for s in reviewed]
    more = len(found) > size
    found = found[:size]
    counts = dict(
        DocumentSummary.objects.filter(project=project, state__in=list(SECTIONS.values()))
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = [(_row(summary), section == "w") for summary, section in found]
    last = found[-1] if found else None
    return QueuePage(
        rows=rows,
        waiting=counts.get(states.WAITING, 0),
        reviewed=counts.get(states.REVIEWED, 0),
        next=f"{last[1]}-{last[0].order}-{last[0].document_id}" if more and last else None,
        first=cursor is None,
    )


def _row(summary: DocumentSummary) -> DocumentRow:
    return DocumentRow(
        summary.document, None, None, summary.gold_at is not None, summary.submitted, summary.drafts, summary.state
    )


def next_waiting(project: Project) -> int | None:
    """The id of the first document waiting for review, in work order (one index lookup)."""
    return (
        DocumentSummary.objects.filter(project=project, state=states.WAITING)
        .order_by("order", "document_id")
        .values_list("document_id", flat=True)
        .first()
    )
