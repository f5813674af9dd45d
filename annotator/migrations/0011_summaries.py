"""Migration: stored heavy numbers (agreement, evaluation, spans per label) and the indexes the counts use.

ScoreSnapshot keeps what services.scores computed in a background run and
what it was computed from. The grouped counts of the progress and project
pages read documents by (project, gold_at) and annotations by
(document, kind, status): covering indexes let the database count without
reading the rows. They are created here by SQL rather than as model indexes
because the tables' Meta belongs to other pieces of work; the names are
stable, and both SQLite and PostgreSQL accept the statements.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

INDEXES = [
    ("document_project_gold", "annotator_document", "project_id, gold_at"),
    ("annotation_document_kind_status", "annotator_annotation", "document_id, kind, status, submitted_at"),
]


class Migration(migrations.Migration):
    dependencies = [("annotator", "0010_document_list")]

    operations = [
        migrations.CreateModel(
            name="ScoreSnapshot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("evaluation", "Evaluation"), ("agreement", "Agreement"), ("labels", "Spans per label")],
                        max_length=16,
                    ),
                ),
                ("subject", models.CharField(blank=True, max_length=150)),
                ("basis", models.CharField(max_length=500)),
                ("documents", models.PositiveIntegerField(default=0, help_text="How many documents the numbers were computed from.")),
                ("results", models.JSONField(default=dict)),
                ("seconds", models.FloatField(default=0.0, help_text="How long the computation took.")),
                ("computed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="score_snapshots", to="annotator.project"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("project", "kind", "subject"), name="scoresnapshot_one_per_subject")
                ],
            },
        ),
        *[
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
                f"DROP INDEX IF EXISTS {name}",
            )
            for name, table, columns in INDEXES
        ],
    ]
