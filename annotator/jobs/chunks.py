"""RunChunk rows: claimed like documents, held by a token, closed once; the stale ones planned again.

A claim runs in one transaction: on PostgreSQL the chunk row is locked with
SKIP LOCKED (two workers asking at once take different chunks, as
services.assignment.claim_next does with documents); on SQLite the write
transaction (BEGIN IMMEDIATE, see settings) holds the database lock, so
claims run one after another. A chunk is claimable when it is open, or
claimed longer ago than TASK_STALE_SECONDS (its holder is silent: dead,
or cut off). Whoever claims it gets a new token; the old holder's next
`hold` finds the token changed and stops, its stored work standing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import RunChunk, TaskRun
from . import runs
from .runs import retry_when_locked

State = RunChunk.State
CLOSED = (State.DONE, State.FAILED)


class Lost(Exception):
    """Another worker was given this chunk (this one was silent too long): stop, what was stored stands."""


def cutoff(stale_seconds: float | None = None):
    """Claims older than this are stale."""
    seconds = settings.TASK_STALE_SECONDS if stale_seconds is None else stale_seconds
    return timezone.now() - timedelta(seconds=seconds)


def claimable(run_id: int, stale_seconds: float | None = None):
    return RunChunk.objects.filter(run_id=run_id).filter(
        Q(state=State.OPEN) | Q(state=State.CLAIMED, claimed_at__lt=cutoff(stale_seconds))
    )


@retry_when_locked
def claim(run_id: int, index: int | None = None) -> RunChunk | None:
    """Claim chunk `index` of a run (None: the first claimable one); None when it is not claimable."""
    with transaction.atomic():
        candidates = claimable(run_id).order_by("index")
        if index is not None:
            candidates = candidates.filter(index=index)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        chunk = candidates.first()
        if chunk is None:
            return None
        chunk.state, chunk.token, chunk.claimed_at = State.CLAIMED, uuid.uuid4().hex, timezone.now()
        chunk.save(update_fields=["state", "token", "claimed_at"])
    return chunk


def hold(chunk: RunChunk) -> bool:
    """Say the holder is alive; False when the chunk was given to another worker meanwhile."""
    held = RunChunk.objects.filter(pk=chunk.pk, token=chunk.token, state=State.CLAIMED)
    return bool(held.update(claimed_at=timezone.now()))


def hold_or_stop(chunk: RunChunk) -> None:
    if not hold(chunk):
        raise Lost()


@retry_when_locked
def close(chunk: RunChunk, error: str = "") -> bool:
    """Mark a held chunk done (or failed with `error`); False when this worker no longer held it."""
    state = State.FAILED if error else State.DONE
    return bool(
        RunChunk.objects.filter(pk=chunk.pk, token=chunk.token, state=State.CLAIMED).update(state=state, error=error)
    )


def all_closed(run_id: int) -> bool:
    return not RunChunk.objects.filter(run_id=run_id).exclude(state__in=CLOSED).exists()


def reopen_stale(run_ids, stale_seconds: float | None = None) -> dict[int, list[int]]:
    """Open again the chunks of these runs whose holders have been silent too long: {run id: [indexes]}.

    Each chunk is reopened by one conditional UPDATE, so of two workers
    looking at once only one reopens (and hands out) a given chunk.
    """
    reopened: dict[int, list[int]] = {}
    limit = cutoff(stale_seconds)
    stale = RunChunk.objects.filter(run_id__in=list(run_ids), state=State.CLAIMED, claimed_at__lt=limit)
    for pk, run_id, index in stale.values_list("pk", "run_id", "index"):
        if RunChunk.objects.filter(pk=pk, state=State.CLAIMED, claimed_at__lt=limit).update(state=State.OPEN, token=""):
            reopened.setdefault(run_id, []).append(index)
    return reopened


def held_recently(run_id: int, stale_seconds: float | None = None) -> bool:
    return RunChunk.objects.filter(run_id=run_id, state=State.CLAIMED, claimed_at__gte=cutoff(stale_seconds)).exists()


def open_indexes(run_id: int, limit: int) -> list[int]:
    return list(RunChunk.objects.filter(run_id=run_id, state=State.OPEN).order_by("index").values_list("index", flat=True)[:limit])


def errors(run_id: int) -> list[str]:
    return list(RunChunk.objects.filter(run_id=run_id).exclude(error="").order_by("index").values_list("error", flat=True))


def take_step(run_id: int) -> tuple[TaskRun, RunChunk] | None:
    """Claim the one step (chunk 0) of an export, evaluation, import or training and mark the run running.

    None when there is nothing to do here: the step is closed or held by a
    live worker, or the run finished meanwhile (a training cancelled while it waited).
    """
    chunk = claim(run_id, 0)
    if chunk is None:
        return None
    run = TaskRun.objects.select_related("project", "user").get(pk=run_id)
    if run.finished:
        close(chunk, error="the run had finished")
        return None
    runs.mark_running(run_id)
    return run, chunk


def fail_step(run: TaskRun, chunk: RunChunk, message: str) -> dict:
    """Close the step and fail its run with `message` (what the run's page shows)."""
    close(chunk, error=message)
    runs.fail(run.pk, message)
    return {"failed": True}
