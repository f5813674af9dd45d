"""What the app computes and stores about a project: evaluation runs, background runs and their chunks,
trained pipelines, training runs and score snapshots."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .layers import ExtractorVersion
from .projects import Project


class EvaluationRun(models.Model):
    """One scoring of an extractor version against a project's gold, kept for the history chart.

    `gold_fingerprint` hashes the scored gold (documents and spans), so two runs
    on the same gold can be told from runs on a gold that has grown or changed.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="evaluation_runs")
    extractor = models.ForeignKey(
        ExtractorVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluation_runs"
    )
    # The version string, kept even if the extractor version is deleted.
    extractor_version = models.CharField(max_length=150)
    gold_documents = models.PositiveIntegerField(default=0, help_text="How many documents with gold were scored.")
    gold_fingerprint = models.CharField(max_length=64)
    # The `evaluate --json` object: {"documents": n, "schemes": {...}} plus the confusion table.
    results = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["project", "created_at"], name="evaluationrun_project_time")]

    def __str__(self):
        return f"{self.extractor_version} on {self.gold_documents} gold documents ({self.created_at:%Y-%m-%d %H:%M})"


class TaskRun(models.Model):
    """One piece of background work (prediction, export, evaluation, training, import): who asked, how far it has got.

    The work itself is cut into RunChunk rows that workers claim one at a
    time (a prediction run: id ranges of documents; the other kinds: one
    chunk for the whole step); annotator/jobs/ starts, claims and finishes
    them. `done` of a prediction run is a count of what is stored (documents
    of the run's range with the run's extractor version), refreshed as
    workers write; the other kinds report their own done/total.
    `heartbeat_at` is when the run was created, planned or last handed to
    the workers again (jobs.start.replan kicks a silent run once per period).
    """

    class Kind(models.TextChoices):
        PREDICT = "predict", "Prediction"
        EXPORT = "export", "Export"
        EVALUATE = "evaluate", "Evaluation"
        TRAIN = "train", "Training"
        IMPORT = "import", "Import"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="task_runs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="task_runs"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # What was asked: model, format, layer, annotator…; a planned prediction adds its version and range.
    params = models.JSONField(default=dict, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # Messages of what went wrong (a failed chunk, a missing model, a bad file); the run goes on where it can.
    errors = models.JSONField(default=list, blank=True)
    # What came out: counts, the export's file name, the evaluation's scores, the import's report.
    result = models.JSONField(default=dict, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["project", "created_at"], name="taskrun_project_time"),
            models.Index(fields=["status"], name="taskrun_status"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0


class RunChunk(models.Model):
    """A piece of a run that one worker does at a time, claimed like a document (SKIP LOCKED / IMMEDIATE).

    A prediction chunk is the id range [first_id, last_id] of documents that
    lacked the run's predictions when it was planned; the one step of an
    export, evaluation, training or import is chunk 0 with no range. The
    holder proves it still holds the chunk by its `token` and says it is
    alive by moving `claimed_at`; a chunk claimed longer ago than
    TASK_STALE_SECONDS is taken again by any worker (what it stored stays,
    what is missing is done). No process ids: a silent holder is a dead one.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(TaskRun, on_delete=models.CASCADE, related_name="chunk_rows")
    index = models.PositiveIntegerField()
    first_id = models.BigIntegerField(null=True, blank=True)
    last_id = models.BigIntegerField(null=True, blank=True)
    # Documents to do when it was planned (prediction), for the page.
    size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="runchunk_run_index")]
        indexes = [models.Index(fields=["state", "claimed_at"], name="runchunk_state_claimed")]

    def __str__(self):
        return f"chunk {self.index} of run {self.run_id} ({self.state})"


class StoredPipeline(models.Model):
    """The bytes of a trained extractor version (a gzipped tar of its spaCy folder).

    In the database, so every web process and worker, on any machine, loads
    the same pipeline by its version string. A table of its own, so listing
    versions never reads the bytes.
    """

    extractor = models.OneToOneField(
        ExtractorVersion, on_delete=models.CASCADE, primary_key=True, related_name="stored_pipeline"
    )
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    labels = models.JSONField(default=list)
    # How the trained recogniser meets the rules: model_only or rules_with_trained_ner.
    merge = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.extractor_id}: {self.size} bytes"


class TrainingRun(models.Model):
    """One training on a project's gold: the split, the version made, its dev scores beside the current one."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="trainings")
    task = models.ForeignKey(TaskRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    extractor = models.ForeignKey(
        ExtractorVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="trainings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    labels = models.JSONField(default=list)
    train_documents = models.PositiveIntegerField(default=0)
    dev_documents = models.PositiveIntegerField(default=0)
    dev_ids = models.JSONField(default=list, blank=True)
    # How many documents had gold when it was trained (retraining counts from here).
    gold_documents = models.PositiveIntegerField(default=0)
    gold_fingerprint = models.CharField(max_length=64, blank=True)
    merge = models.CharField(max_length=32, blank=True)
    # {"dev": scores, "current": scores, "current_version", "merges", "curve", "verdict", "seconds", ...}
    results = models.JSONField(default=dict, blank=True)
    log = models.JSONField(default=list, blank=True)
    promoted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "created_at"], name="trainingrun_project_time")]

    def __str__(self):
        return f"Training {self.pk} of {self.project} ({self.extractor_id or 'unfinished'})"


class ScoreSnapshot(models.Model):
    """Numbers too heavy for a request (agreement, an evaluation, spans per label), stored by a background run.

    `basis` says what they were computed from (selectors.dashboards.basis:
    the newest gold revision, edit and prediction ids, the documents' count,
    the labels); a page compares it with the current basis to tell the
    numbers' age and whether they are out of date. One row per project,
    kind and subject (the extractor version of an evaluation; empty
    otherwise): a new computation replaces it.
    """

    class Kind(models.TextChoices):
        EVALUATION = "evaluation", "Evaluation"
        AGREEMENT = "agreement", "Agreement"
        LABELS = "labels", "Spans per label"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="score_snapshots")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=150, blank=True)
    basis = models.CharField(max_length=500)
    documents = models.PositiveIntegerField(default=0, help_text="How many documents the numbers were computed from.")
    results = models.JSONField(default=dict)
    seconds = models.FloatField(default=0.0, help_text="How long the computation took.")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "subject"], name="scoresnapshot_one_per_subject")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.project} ({self.subject or 'all'}, {self.computed_at:%Y-%m-%d %H:%M})"
