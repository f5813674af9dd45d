"""Run background tasks: the database backend's worker or an RQ worker, as settings.TASKS says.

Before it starts, and every --recover-every seconds while it runs, it plans
again what stopped workers left (jobs.start.watch): a chunk whose holder
has been silent for TASK_STALE_SECONDS is handed out again, and the
trainings that are due start. So a killed worker's run finishes when any
worker runs, with nothing predicted twice.
"""

import logging
import threading
import time
import uuid

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connections

from annotator.jobs.runs import is_locked
from annotator.jobs.start import watch
from annotator.services import prediction

logger = logging.getLogger("annotator.tasks")
# Waits between tries when the database is locked: 1, 2, 4, ... up to this many seconds.
MAX_WAIT = 30.0


def _until_unlocked(what: str, action, stop: threading.Event | None = None):
    """Run `action` until it gets past a locked database; log each wait. Other errors go up.

    A long write elsewhere (an import on SQLite) can hold the lock longer than the busy
    timeout: the worker waits for it instead of dying.
    """
    wait = 1.0
    while True:
        try:
            return action()
        except OperationalError as error:
            if not is_locked(error):
                raise
            logger.warning("task worker: %s: %s; trying again in %.0f s", what, error, wait)
            connections.close_all()
            if stop is not None and stop.wait(wait):
                return None
            if stop is None:
                time.sleep(wait)
            wait = min(MAX_WAIT, wait * 2)


def _watchdog(every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            watch()
        except Exception:  # the next round tries again; the worker itself goes on
            logger.exception("planning again the work of stopped workers failed")
        finally:
            connections.close_all()


class Command(BaseCommand):
    help = "Run background tasks (database or RQ backend, from settings.TASKS), resuming the work of stopped workers."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run the tasks waiting, then exit.")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Database backend: seconds between looks for a task when idle."
        )
        parser.add_argument(
            "--no-preload",
            dest="preload",
            action="store_false",
            help="Do not load the extractor at start (it is loaded by the first prediction instead).",
        )
        parser.add_argument(
            "--recover-every", type=float, default=30.0, help="Seconds between looks for stalled runs (0: only at start)."
        )
        parser.add_argument("--worker-id", default=None, help="Database backend: this worker's id (default: random).")

    def handle(self, *args, **options):
        backend = settings.TASKS["default"]["BACKEND"]
        if options["preload"]:
            started = time.monotonic()
            try:
                extractor = prediction.get_extractor()
                self.stdout.write(f"Extractor {extractor.version} loaded in {time.monotonic() - started:.1f} s.")
            except Exception as error:  # a prediction will report it on its run; exports still work
                self.stderr.write(self.style.WARNING(f"Could not load the extractor: {error}"))
        for run in _until_unlocked("resuming stalled runs", watch) or []:
            self.stdout.write(f"Resuming {run} of project {run.project.slug}.")
        stop = threading.Event()
        if options["recover_every"] > 0 and not options["batch"]:
            threading.Thread(target=_watchdog, args=(options["recover_every"], stop), daemon=True, name="recover").start()
        verbosity = options["verbosity"]
        try:
            if "django_tasks_db" in backend:
                # One id for this process, kept when the loop below starts the worker again.
                worker_id = options["worker_id"] or f"worker-{uuid.uuid4().hex[:12]}"
                # db_worker's loop dies on "database is locked" outside the one query it guards
                # (BEGIN EXCLUSIVE, marking a task done): start it again after the lock is gone.
                _until_unlocked(
                    "looking for tasks",
                    lambda: call_command(
                        "db_worker",
                        queue_name="default",
                        interval=options["interval"],
                        batch=options["batch"],
                        reload=False,
                        startup_delay=False,
                        verbosity=verbosity,
                        worker_id=worker_id,
                    ),
                )
            elif "django_tasks_rq" in backend:
                # SimpleWorker runs each job in this process, where the extractor is already loaded.
                call_command(
                    "rqworker",
                    "default",
                    job_class="django_tasks_rq.Job",
                    worker_class="rq.worker.SimpleWorker",
                    burst=options["batch"],
                    verbosity=verbosity,
                )
            else:
                raise CommandError(f"The task backend {backend} runs tasks itself; it needs no worker.")
        finally:
            stop.set()
