"""Migration: the documents per (project, state) and with gold (models.StateCount), kept by triggers on
the documents' summaries; the backfill counts the summaries in one grouped statement. The summaries'
own triggers are installed again (PostgreSQL: the documents' update trigger is a statement trigger now)."""

import django.db.models.deletion
from django.db import migrations, models

from annotator.db import summaries


# "summary" again too: on PostgreSQL the documents' update trigger became a statement trigger.
install_and_backfill, drop_triggers = summaries.migration_step(("summary", "states"), summaries.states_rebuild, dropped=("states",))


class Migration(migrations.Migration):

    dependencies = [
        ('annotator', '0014_annotator_summaries'),
    ]

    operations = [
        migrations.CreateModel(
            name='StateCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(choices=[('unassigned', 'Unassigned'), ('in_progress', 'In progress'), ('submitted', 'Submitted (n of k)'), ('waiting', 'Waiting for review'), ('reviewed', 'Reviewed')], max_length=16)),
                ('documents', models.IntegerField(default=0)),
                ('gold', models.IntegerField(default=0)),
                ('project', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotator.project')),
            ],
            options={
                'indexes': [models.Index(fields=['project', 'state'], name='statecount_project_state')],
            },
        ),
        migrations.RunPython(install_and_backfill, drop_triggers),
    ]
