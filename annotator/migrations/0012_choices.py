"""Migration: roles, layers, states and statuses as TextChoices."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotator", "0011_summaries")]

    operations = []
