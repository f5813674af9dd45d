"""The gold, append-only: every change is a new revision; nothing rewrites the history.

Each document's gold is a series of GoldRevision rows numbered 1, 2, …, each
with the spans it added and removed (GoldChange). The current gold is the
last revision spelled out in GoldSpan, which every reader uses; this module
is the only writer of GoldRevision, GoldChange, GoldSpan and
Document.gold_at/gold_by, and writes them together in one transaction, so
the current gold always equals the replay of the revisions.

Why deltas rather than a copy of the spans per revision: a reviewer who
fixes one span of a 100-span document should add two rows, not a hundred.
Why a current-gold table beside them: exports, evaluation and the pages read
the gold of 100,000 documents, and must not replay histories to do it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ..adjudication import Diff, diff
from ..spans import Span
from ..db.bulk import insert_rows, prepared
from ..errors import Refused
from ..models import Document, GoldChange, GoldRevision, GoldSpan, Project
from ..selectors.layers import alive_at, current_items, had_gold_at

How = GoldRevision.How
ADD, REMOVE = GoldChange.ADD, GoldChange.REMOVE


class GoldRefused(Refused):
    """A gold change that cannot be written as asked (an unknown label, a revision that does not exist)."""


# ---------------------------------------------------------------- reading


def parse_as_of(value: str) -> datetime:
    """An ISO-8601 time (a date alone means 00:00 of that day) as an aware datetime.

    A time without an offset is read in the server's time zone (settings.TIME_ZONE).
    """
    text = (value or "").strip()
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text) if len(text) == 10 else None
        if day is None:
            raise GoldRefused(f"not an ISO-8601 time: {value!r} (e.g. 2026-12-01T14:30:00Z or 2026-12-01)")
        moment = datetime(day.year, day.month, day.day)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def history(document: Document) -> list[GoldRevision]:
    """The document's revisions, newest first, with who made them."""
    return list(document.gold_revisions.select_related("created_by").order_by("-number"))


def items_at(document: Document, number: int) -> list[Span]:
    """The gold as revision `number` left it: the replay of revisions 1..number."""
    if not document.gold_revisions.filter(number=number).exists():
        raise GoldRefused(f"Document {document.pk} has no gold revision {number}.")
    alive: set[Span] = set()
    changes = (
        GoldChange.objects.filter(revision__document=document, revision__number__lte=number)
        .order_by("revision__number", "id")
        .values_list("op", "start", "end", "label__name")
    )
    for op, start, end, label in changes:
        item = Span(start, end, label)
        if op == ADD:
            alive.add(item)
        else:
            alive.discard(item)
    return sorted(alive)


def items_as_of(document_ids: Iterable[int], when: datetime) -> dict[int, list[Span]]:
    """{document id: spans} of the gold as it stood at `when`, for those of the documents that had gold."""
    ids = list(document_ids)
    out: dict[int, list[Span]] = {
        pk: [] for pk in Document.objects.filter(pk__in=ids).filter(had_gold_at(when)).values_list("pk", flat=True)
    }
    rows = alive_at(when).filter(revision__document_id__in=ids).values_list(
        "revision__document_id", "start", "end", "label__name"
    )
    for document_id, start, end, label in rows:
        out[document_id].append(Span(start, end, label))
    for spans in out.values():
        spans.sort()
    return out


@dataclass
class Compared:
    """Two revisions of a document side by side."""

    a: GoldRevision
    b: GoldRevision
    diff: Diff


def compare(document: Document, a: int, b: int) -> Compared:
    revisions = {r.number: r for r in document.gold_revisions.filter(number__in=[a, b]).select_related("created_by")}
    if a not in revisions or b not in revisions:
        raise GoldRefused(f"Document {document.pk} has no gold revision {a if a not in revisions else b}.")
    return Compared(revisions[a], revisions[b], diff(items_at(document, a), items_at(document, b)))


# ---------------------------------------------------------------- writing


def _label_ids(project_id: int) -> dict[str, int]:
    return dict(Project.objects.get(pk=project_id).labels.values_list("name", "pk"))


def lock_documents(document_ids: list[int]) -> None:
    """Hold the documents' rows until the transaction ends (PostgreSQL), so two writers of one
    document's gold take turns; SQLite's write transaction (BEGIN IMMEDIATE) already does."""
    if connection.features.has_select_for_update and document_ids:
        list(Document.objects.select_for_update().filter(pk__in=document_ids).order_by("pk").values_list("pk"))


def record(
    document: Document,
    items: Iterable[Span],
    *,
    how: str,
    user=None,
    source_annotation=None,
    restored_from: int | None = None,
    note: str = "",
) -> GoldRevision | None:
    """Make `items` the document's gold as a new revision; None (nothing written) if it is already so.

    A document without gold gets revision 1 even with no spans: an empty
    gold ("nothing to mark here") is a decision too.
    """
    new = sorted(set(items))
    with transaction.atomic():
        lock_documents([document.pk])
        labels = _label_ids(document.project_id)
        unknown = sorted({i.label for i in new} - set(labels))
        if unknown:
            raise GoldRefused(f"Unknown label {unknown[0]!r} for this project.")
        has_gold = Document.objects.filter(pk=document.pk, gold_at__isnull=False).exists()
        change = diff(current_items(document), new)
        if has_gold and not change.changed:
            return None
        number = (document.gold_revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        removed = [*change.removed, *(old for old, _ in change.relabelled)]
        added = [*change.added, *(new_ for _, new_ in change.relabelled)]
        revision = GoldRevision.objects.create(
            document=document,
            number=number,
            how=how,
            created_by=user,
            source_annotation=source_annotation,
            restored_from=restored_from,
            note=note[:300],
            added=len(added),
            removed=len(removed),
            spans=len(new),
        )
        GoldChange.objects.bulk_create(
            [GoldChange(revision=revision, op=REMOVE, label_id=labels[i.label], start=i.start, end=i.end) for i in removed]
            + [GoldChange(revision=revision, op=ADD, label_id=labels[i.label], start=i.start, end=i.end) for i in added]
        )
        if removed:
            match = Q()
            for i in removed:
                match |= Q(start=i.start, end=i.end, label_id=labels[i.label])
            GoldSpan.objects.filter(match, document=document).delete()
        GoldSpan.objects.bulk_create(
            GoldSpan(
                document=document,
                label_id=labels[i.label],
                start=i.start,
                end=i.end,
                source_annotation=source_annotation,
                decided_by=user,
            )
            for i in added
        )
        Document.objects.filter(pk=document.pk).update(
            gold_at=revision.created_at, gold_by=user, reviewed_at=revision.created_at
        )
        document.gold_at = document.reviewed_at = revision.created_at
        document.gold_by = user
    return revision


def confirm(document: Document) -> None:
    """Record a review decision that keeps the gold as it is (no revision): the document leaves the
    review queue until the next submission."""
    Document.objects.filter(pk=document.pk).update(reviewed_at=timezone.now())


def restore(document: Document, number: int, user) -> GoldRevision | None:
    """Make revision `number`'s gold current again, as a new revision (the history is kept whole)."""
    items = items_at(document, number)
    return record(document, items, how=How.RESTORE, user=user, restored_from=number, note=f"restored revision {number}")


@dataclass
class BulkResult:
    revisions: int = 0
    unchanged: int = 0


def _gold_state(ids: list[int]) -> tuple[dict[int, set], set[int], dict[int, int]]:
    """Of the documents `ids`: their current gold spans (start, end, label id), which have gold, their last revision."""
    current: dict[int, set] = {pk: set() for pk in ids}
    for document_id, start, end, label in GoldSpan.objects.filter(document_id__in=ids).values_list(
        "document_id", "start", "end", "label_id"
    ):
        current[document_id].add((start, end, label))
    has_gold = set(Document.objects.filter(pk__in=ids, gold_at__isnull=False).values_list("pk", flat=True))
    last = dict(
        GoldRevision.objects.filter(document_id__in=ids)
        .values("document_id")
        .annotate(n=Max("number"))
        .values_list("document_id", "n")
    )
    return current, has_gold, last


def record_many(
    project: Project,
    gold: Mapping[int, Iterable[tuple[int, int, int]]],
    *,
    how: str,
    user=None,
    note: str = "",
) -> BulkResult:
    """Write the gold of many documents at once (an import): {document id: [(start, end, label id)]}.

    The same rules as `record`, a fixed number of statements per call
    whatever the number of documents: a revision for each document whose
    gold changes (or that had none), none for a document whose gold is
    already so. Call it inside the caller's transaction.
    """
    result = BulkResult()
    ids = list(gold)
    if not ids:
        return result
    lock_documents(ids)
    current, has_gold, last = _gold_state(ids)
    now = timezone.now()
    stamp = prepared(GoldRevision, "created_at", now)
    revisions, deltas, rewrite, append = [], {}, [], []
    for pk, spans in gold.items():
        new = set(spans)
        old = current[pk]
        removed, added = old - new, new - old
        if pk in has_gold and not removed and not added:
            result.unchanged += 1
            continue
        number = last.get(pk, 0) + 1
        revisions.append((pk, number, how, getattr(user, "pk", None), stamp, None, note[:300], len(added), len(removed), len(new)))
        deltas[(pk, number)] = (removed, added)
        (rewrite if removed else append).append((pk, new if removed else added))
    if not revisions:
        return result
    insert_rows(
        GoldRevision,
        ("document", "number", "how", "created_by", "created_at", "restored_from", "note", "added", "removed", "spans"),
        revisions,
    )
    revision_ids = {
        (d, n): pk
        for pk, d, n in GoldRevision.objects.filter(document_id__in=[r[0] for r in revisions], created_at=now).values_list(
            "pk", "document_id", "number"
        )
    }
    insert_rows(
        GoldChange,
        ("revision", "op", "label", "start", "end"),
        [
            (revision_ids[key], op, label, start, end)
            for key, (removed, added) in deltas.items()
            for op, spans in ((REMOVE, removed), (ADD, added))
            for start, end, label in sorted(spans)
        ],
    )
    if rewrite:
        GoldSpan.objects.filter(document_id__in=[pk for pk, _ in rewrite]).delete()
    decided = prepared(GoldSpan, "decided_at", now)
    by = getattr(user, "pk", None)
    insert_rows(
        GoldSpan,
        ("document", "label", "start", "end", "decided_at", "decided_by"),
        [(pk, label, start, end, decided, by) for pk, spans in rewrite + append for start, end, label in sorted(spans)],
    )
    Document.objects.filter(pk__in=[r[0] for r in revisions]).update(gold_at=now, gold_by=user, reviewed_at=now)
    result.revisions = len(revisions)
    return result
