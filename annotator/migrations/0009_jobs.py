"""Migration: background runs (jobs/): chunks become rows claimed like documents; imports become runs.

The leases, the chunk list and the `waiting` counter on TaskRun go: a run's
chunks are RunChunk rows, and a prediction run's progress is counted from
the predictions stored. A run still going when this migration is applied
loses its plan; start it again (what it stored stays).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("annotator", "0008_training")]

    operations = [
        migrations.RemoveField(model_name="taskrun", name="chunks"),
        migrations.RemoveField(model_name="taskrun", name="chunks_done"),
        migrations.RemoveField(model_name="taskrun", name="leases"),
        migrations.RemoveField(model_name="taskrun", name="waiting"),
        migrations.AlterField(
            model_name="taskrun",
            name="kind",
            field=models.CharField(
                choices=[
                    ("predict", "Prediction"),
                    ("export", "Export"),
                    ("evaluate", "Evaluation"),
                    ("train", "Training"),
                    ("import", "Import"),
                ],
                max_length=16,
            ),
        ),
        migrations.CreateModel(
            name="RunChunk",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("index", models.PositiveIntegerField()),
                ("first_id", models.BigIntegerField(blank=True, null=True)),
                ("last_id", models.BigIntegerField(blank=True, null=True)),
                ("size", models.PositiveIntegerField(default=0)),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Open"), ("claimed", "Claimed"), ("done", "Done"), ("failed", "Failed")],
                        default="open",
                        max_length=8,
                    ),
                ),
                ("token", models.CharField(blank=True, max_length=32)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("error", models.TextField(blank=True)),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="chunk_rows", to="annotator.taskrun"
                    ),
                ),
            ],
            options={
                "ordering": ["run", "index"],
                "indexes": [models.Index(fields=["state", "claimed_at"], name="runchunk_state_claimed")],
                "constraints": [models.UniqueConstraint(fields=("run", "index"), name="runchunk_run_index")],
            },
        ),
    ]
