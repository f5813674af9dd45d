"""Migration: roles, layers, states and statuses as TextChoices (annotator/roles.py).

Membership.Role and Annotation.Status/Kind became the classes of roles.py
with the same values and labels, in the same order, so no field's choices
changed: `makemigrations --dry-run` finds nothing to do. The migration stays
in the chain as the place for a later change of those choices.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotator", "0011_summaries")]

    operations = []
