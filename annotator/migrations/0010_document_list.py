"""Migration: the document list: full-text search, indexes, assignments by managers."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotator", "0009_jobs")]

    operations = []
