"""Background work through the Tasks API: prediction runs, exports, evaluations, trainings.

Written against `django_tasks`, the backport of Django 6's `django.tasks`;
on Django 6 the same code imports the built-in module. Each task gets the id
of a TaskRun (annotator.models), the record of what was asked and how far it
has got; the work itself is in services.background. Every task is safe to
run twice or after a stopped attempt: that is what lets `recover_stalled`
hand a dead worker's work to another.

The backend is settings.TASKS: the database (default; `manage.py
task_worker` runs the tasks) or RQ with Redis (TASKS_BACKEND=rq), where any
number of machines run `manage.py task_worker`.
"""

try:  # Django 6
    from django.tasks import TaskContext, task
except ImportError:  # Django 5.2: the backport
    from django_tasks import TaskContext, task

from .services import background


@task(takes_context=True)
def plan_prediction(context: TaskContext, run_id: int) -> dict:
    """Load the extractor, cut the documents that lack its predictions into chunks, start the chunk tasks."""
    return background.plan_prediction(run_id, context.task_result.id)


@task(takes_context=True)
def predict_chunk(context: TaskContext, run_id: int) -> dict:
    """Predict one chunk of a run; enqueue the next if chunks are left."""
    return background.predict_chunk(run_id, context.task_result.id)


@task(takes_context=True)
def export_run(context: TaskContext, run_id: int) -> dict:
    """Write a layer of a project to a file for download."""
    return background.export_run(run_id, context.task_result.id)


@task(takes_context=True)
def evaluate_run(context: TaskContext, run_id: int) -> dict:
    """Score an extractor version against the gold."""
    return background.evaluate_run(run_id, context.task_result.id)


@task(takes_context=True)
def train_run(context: TaskContext, run_id: int) -> dict:
    """Train an extractor version on the project's gold, store and score it (services.training)."""
    from .services import training

    return training.train_run(run_id, context.task_result.id)
