"""The TaskRun record: create it, mark it running, report progress, finish or fail it; who may see it.

Each write is one short UPDATE guarded by the run's status (a finished run
is never written again), so workers never queue behind a lock on the run
row while they store their work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import OperationalError, transaction
from django.utils import timezone

from ..errors import BadInput
from ..models import Membership, Project, RunChunk, TaskRun

logger = logging.getLogger(__name__)

Kind = TaskRun.Kind
Status = TaskRun.Status
UNFINISHED = (Status.QUEUED, Status.RUNNING)
# How often a worker's write is tried again when SQLite says "database is locked" (a long import holds
# the write lock longer than the busy timeout), waiting 1, 2, 4, ... up to 30 s between tries.
LOCK_RETRIES = 8


class RunRefused(BadInput):
    """A run that cannot be started as asked (unknown format or layer, no such model or annotator)."""


def create(project: Project, user, kind: str, params: dict, *, steps: int = 1) -> TaskRun:
    """A queued run; `steps` one-step chunks (0: its chunks are planned later, as a prediction's are).

    Created outside any transaction of ours: a worker (another process) must
    see it when the task arrives.
    """
    run = TaskRun.objects.create(
        project=project,
        user=user if user is not None and user.is_authenticated else None,
        kind=kind,
        params=params,
        heartbeat_at=timezone.now(),
    )
    RunChunk.objects.bulk_create([RunChunk(run=run, index=i) for i in range(steps)])
    return run


def mark_running(run_id: int) -> None:
    TaskRun.objects.filter(pk=run_id, status=Status.QUEUED).update(status=Status.RUNNING, started_at=timezone.now())


def update(run_id: int, **fields) -> bool:
    """Write fields of a run that is not finished; False when it is (cancelled, failed, done)."""
    return bool(TaskRun.objects.filter(pk=run_id, status__in=UNFINISHED).update(**fields))


def finish(run_id: int, **fields) -> bool:
    """Mark a run done with `fields` (result, done, total…), unless it is finished already."""
    return update(run_id, status=Status.DONE, finished_at=timezone.now(), **fields)


def fail(run_id: int, message: str) -> bool:
    """Mark a run failed with `message` added to its errors, unless it is finished already."""
    with transaction.atomic():
        run = TaskRun.objects.select_for_update().filter(pk=run_id, status__in=UNFINISHED).first()
        if run is None:
            return False
        run.errors = [*run.errors, message]
        run.status, run.finished_at = Status.FAILED, timezone.now()
        run.save(update_fields=["errors", "status", "finished_at"])
    logger.warning("task run %s failed: %s", run_id, message)
    return True


def is_locked(error: Exception) -> bool:
    """Whether a database error is SQLite's "database is locked" / "database is busy"."""
    message = str(error).lower()
    return isinstance(error, OperationalError) and ("locked" in message or "busy" in message)


def retry_when_locked(function):
    """Run `function` (one transaction of a worker) again when the database is locked, logging each wait.

    Inside an outer transaction there is nothing to retry: the error goes up.
    """

    def run(*args, **kwargs):
        for attempt in range(LOCK_RETRIES):
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                if not is_locked(error) or attempt == LOCK_RETRIES - 1 or transaction.get_connection().in_atomic_block:
                    raise
                wait = min(30, 2**attempt)
                logger.warning(
                    "%s: %s; trying again in %s s (try %s of %s)", function.__name__, error, wait, attempt + 2, LOCK_RETRIES
                )
                time.sleep(wait)

    run.__name__, run.__doc__, run.__wrapped__ = function.__name__, function.__doc__, function
    return run


def reporter(run_id: int, hold: Callable[[], bool], every: float = 0.5) -> Callable[[int, int], None]:
    """A progress(done, total) for a one-step run: records the counts and keeps the claim alive (`hold`),
    at most every `every` seconds and always at the end."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < every and done < total:
            return
        last[0] = now
        if hold():
            update(run_id, done=min(done, total), total=total)

    return report


def wait_for(run: TaskRun, progress: Callable[[int, int], None] | None = None, poll: float = 0.5, timeout: float | None = None) -> TaskRun:
    """Poll a run until it is finished (or `timeout` seconds pass), telling `progress` its counts."""
    started = time.monotonic()
    while True:
        run.refresh_from_db()
        if progress and run.total:
            progress(run.done, run.total)
        if run.finished or (timeout is not None and time.monotonic() - started > timeout):
            return run
        time.sleep(poll)


def runs_visible_to(user, project: Project, role: str | None):
    """The runs of a project a user may see: all of them for managers, their own for anyone else."""
    runs = TaskRun.objects.filter(project=project).select_related("user", "project")
    return runs if role == Membership.Role.MANAGER else runs.filter(user=user)
