"""Background runs: what the task workers do, and how a run is started, claimed, counted and finished.

- tasks.py: the only module that enqueues (django-tasks `@task` functions).
- start.py: start a run of each kind; re-plan the work of stopped workers.
- runs.py, chunks.py: the TaskRun record and its RunChunk rows (claim, hold, close).
- prediction.py, export.py, evaluation.py, imports.py, training.py: the bodies of the tasks.

Nothing here is imported by services, selectors or models; the faces
(views, API, commands) start runs through start.py.
"""
