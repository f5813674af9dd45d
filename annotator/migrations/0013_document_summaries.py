"""Migration: per-document summaries (counts, state, disagreement) and indexed metadata, kept by triggers.

The tables are models.DocumentSummary and models.DocumentMeta; the
triggers and the rebuild are annotator.db.summaries (the same code
`manage.py rebuild_summaries` runs, so there is one definition of them).
The backfill computes every existing document's rows in a few set-based
statements.
"""

import django.db.models.deletion
from django.db import migrations, models

from annotator.db import summaries


def install_and_backfill(apps, schema_editor):
    # The later parts' tables come with 0014 (annotators' counts) and 0015 (counts per state).
    summaries.install(schema_editor.connection, parts=("summary",))
    summaries.rebuild(schema_editor.connection, parts=("summary",))


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table in summaries.TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            for name, _ in summaries.TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('annotator', '0012_choices'),
    ]

    operations = [
        migrations.CreateModel(
            name='DocumentMeta',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=200)),
                ('value', models.CharField(max_length=200)),
                ('document', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotator.document')),
                ('project', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotator.project')),
            ],
            options={
                'indexes': [models.Index(fields=['project', 'key', 'value', 'document'], name='documentmeta_lookup'), models.Index(fields=['document'], name='documentmeta_document')],
            },
        ),
        migrations.CreateModel(
            name='DocumentSummary',
            fields=[
                ('document', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='summary', serialize=False, to='annotator.document')),
                ('order', models.PositiveIntegerField(default=0)),
                ('submitted', models.PositiveIntegerField(default=0)),
                ('drafts', models.PositiveIntegerField(default=0)),
                ('skipped', models.PositiveIntegerField(default=0)),
                ('last_submitted', models.DateTimeField(blank=True, null=True)),
                ('gold_at', models.DateTimeField(blank=True, null=True)),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('disagreement', models.BooleanField(default=False, help_text='Some span is in fewer submissions than there are.')),
                ('state', models.CharField(choices=[('unassigned', 'Unassigned'), ('in_progress', 'In progress'), ('submitted', 'Submitted (n of k)'), ('waiting', 'Waiting for review'), ('reviewed', 'Reviewed')], default='unassigned', max_length=16)),
                ('project', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotator.project')),
            ],
            options={
                'indexes': [models.Index(fields=['project', 'state', 'order', 'document'], name='summary_state_order'), models.Index(condition=models.Q(('disagreement', True)), fields=['project', 'document'], name='summary_disagreement')],
            },
        ),
        migrations.RunPython(install_and_backfill, drop_triggers),
    ]
