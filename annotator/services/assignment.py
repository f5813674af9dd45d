"""Hand out documents: each needs `k` annotators, and a slot is never given twice.

The next document of an annotator is claimed inside one transaction. On
PostgreSQL the candidate document row is locked with SKIP LOCKED, so two
annotators asking at the same moment take different rows; on SQLite the
write transaction (BEGIN IMMEDIATE, see settings) holds the database lock,
so claims run one after another.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..db.bulk import prepared
from ..errors import Conflict
from ..models import Annotation, Assignment, Document, Project
from ..selectors.slots import has_open_slot, with_open_slots
from .editing import start_annotation

ANNOTATION = Annotation.Kind.ANNOTATION


def shuffle_key(seed: int, digest: str) -> int:
    """A stable pseudo-random position for a document: same seed, same order."""
    return int(hashlib.sha256(f"{seed}:{digest}".encode()).hexdigest()[:15], 16)


def reshuffle(project: Project) -> None:
    """Recompute the random work order after the seed changed.

    Plain rows, not model instances: instances from the project's related
    manager each read their deferred project_id (one query a document).
    """
    rows = project.documents.values_list("id", "content_hash")
    documents = [Document(pk=pk, shuffle_key=shuffle_key(project.random_seed, digest)) for pk, digest in rows]
    Document.objects.bulk_update(documents, ["shuffle_key"], batch_size=1000)


def work_order(project: Project) -> list[str]:
    """The ordering of documents in the project's work order (random keys are filled in first)."""
    if project.work_order == Project.WorkOrder.RANDOM:
        if project.documents.filter(shuffle_key=0).exists():  # imported since the last shuffle
            reshuffle(project)
        return ["shuffle_key", "id"]
    if project.work_order == Project.WorkOrder.UNCERTAIN:
        return ["-uncertainty", "order", "id"]
    return ["order", "id"]


def _release_stale_claims(project: Project, document: Document, user) -> None:
    """Give back slots of others' drafts that were claimed but never edited and have timed out."""
    cutoff = timezone.now() - timedelta(minutes=project.claim_minutes)
    Annotation.objects.filter(
        document=document, kind=ANNOTATION, status=Annotation.Status.DRAFT, version=1, updated_at__lt=cutoff
    ).exclude(annotator=user).delete()


def claim_next(project: Project, user) -> Document | None:
    """Return the user's next document, claiming a slot on it; None when nothing is left.

    A draft of the user's own comes first; then the documents a manager
    assigned to the user; then, in the project's work order, any document
    the user has not annotated that still needs annotators. Both of the last
    two hold only documents with an open slot (k per document) and without
    gold, unless the project says "annotate documents that have gold".
    """
    mine = Annotation.objects.filter(document=OuterRef("pk"), annotator=user, kind=ANNOTATION)
    order = work_order(project)
    with transaction.atomic():
        own_draft = (
            project.documents.filter(Exists(mine.filter(status=Annotation.Status.DRAFT))).order_by(*order).first()
        )
        if own_draft is not None:
            return own_draft
        pool = project.documents.exclude(Exists(mine))
        if not project.annotate_gold_documents:
            pool = pool.filter(gold_at__isnull=True)
        assigned = pool.filter(Exists(Assignment.objects.filter(document=OuterRef("pk"), user=user)))
        for candidates in (assigned, pool):
            document = _claim_first(project, user, candidates, order)
            if document is not None:
                return document
        return None


def _claim_first(project: Project, user, documents, order: list[str]) -> Document | None:
    """Claim a slot on the first of `documents` (in `order`) that still has one; None if none has."""
    candidates = with_open_slots(project, documents).order_by(*order)
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    candidates = candidates.only("id", "project_id", "text", "tokens", "order")
    passed_over: list[int] = []
    for _ in range(20):
        document = candidates.exclude(pk__in=passed_over).first()
        if document is None:
            return None
        # Count again now that the row is ours: the first count saw the database as it
        # was when that statement began, before a claim that committed meanwhile.
        if has_open_slot(document):
            document.project = project
            _release_stale_claims(project, document, user)
            start_annotation(document, user)
            return document
        passed_over.append(document.pk)
    return None


class ClaimRefused(Conflict):
    """A document the user asked for by id has all its annotators already."""


def claim_document(document: Document, user) -> Annotation:
    """Start the user's annotation of `document` by id, through the same locked path as claim_next.

    Opening a document only shows it; this is what the Start button (or the
    API's POST …/annotation/) does. The slot count is taken again while the
    document's row is held (PostgreSQL) or inside the write transaction
    (SQLite), so however many people claim at once, no document gets more
    than k annotations. The user's own annotation is returned as it is.
    """
    project = document.project
    existing = Annotation.objects.filter(document=document, annotator=user, kind=ANNOTATION).first()
    if existing is not None:
        existing.document = document
        return existing
    with transaction.atomic():
        if connection.features.has_select_for_update:
            Document.objects.select_for_update().filter(pk=document.pk).values_list("pk").first()
        _release_stale_claims(project, document, user)
        if not has_open_slot(document):
            k = project.annotators_per_document
            raise ClaimRefused(
                f"This document already has its {k} annotator{'s' if k > 1 else ''}; "
                f"use “Start annotating” for the next one that needs you."
            )
        return start_annotation(document, user)


# ---------------------------------------------------------------- managers handing out documents


def assign(selection, users: list, *, by=None, split: bool = False) -> int:
    """Hand the documents of `selection` (a queryset of document ids) to `users`; return the rows added.

    Every document goes to each user, or with `split` the documents are dealt
    out to the users in turn (by id). One INSERT … SELECT whatever the number
    of documents; an assignment already there is kept, and no annotation is
    touched: assigning never removes work already done, and k still holds
    because a slot is taken only when the annotator starts (claim_next).
    """
    if not users:
        return 0
    table = connection.ops.quote_name(Assignment._meta.db_table)
    chosen, params = selection.query.sql_with_params()
    now = prepared(Assignment, "assigned_at", timezone.now())
    by_id = by.pk if by is not None and by.is_authenticated else None
    if split:
        cases = " ".join("WHEN %s THEN %s" for _ in users)
        source = (
            f"SELECT s.id AS document_id, CASE (s.n - 1) %% {len(users)} {cases} END AS user_id "
            f"FROM (SELECT c.id AS id, ROW_NUMBER() OVER (ORDER BY c.id) AS n FROM ({chosen}) c) s"
        )
        # CASE's WHEN values come before the subquery's in the text.
        source_params = [*[v for i, user in enumerate(users) for v in (i, user.pk)], *params]
    else:
        marks = ", ".join(["%s"] * len(users))
        users_table = connection.ops.quote_name(type(users[0])._meta.db_table)
        source = (
            f"SELECT c.id AS document_id, u.id AS user_id FROM ({chosen}) c "
            f"CROSS JOIN (SELECT id FROM {users_table} WHERE id IN ({marks})) u"
        )
        source_params = [*params, *[user.pk for user in users]]
    sql = (
        f"INSERT INTO {table} (document_id, user_id, assigned_by_id, assigned_at) "
        f"SELECT p.document_id, p.user_id, %s, %s FROM ({source}) p WHERE NOT EXISTS "
        f"(SELECT 1 FROM {table} a WHERE a.document_id = p.document_id AND a.user_id = p.user_id)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [by_id, now, *source_params])
        return cursor.rowcount


def unassign(selection, users: list) -> int:
    """Take back assignments of `selection` from `users` (annotations already started stay theirs)."""
    return Assignment.objects.filter(document_id__in=selection, user__in=users).delete()[0]
