"""Migration: each annotator's counts per project (models.AnnotatorSummary), kept by triggers.

The triggers are annotator.db.summaries' (installed again with the others:
idempotent); the backfill counts the existing annotations in one grouped
statement.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from annotator.db import summaries


install_and_backfill, drop_triggers = summaries.migration_step(("work",), summaries.work_rebuild, dropped=("work",))


class Migration(migrations.Migration):

    dependencies = [
        ('annotator', '0013_document_summaries'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AnnotatorSummary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('submitted', models.IntegerField(default=0)),
                ('drafts', models.IntegerField(default=0)),
                ('skipped', models.IntegerField(default=0)),
                ('submitted_changes', models.BigIntegerField(default=0)),
                ('annotator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('project', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotator.project')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('project', 'annotator'), name='annotatorsummary_unique')],
            },
        ),
        migrations.RunPython(install_and_backfill, drop_triggers),
    ]
