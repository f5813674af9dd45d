"""Migration: aggregates kept up to date and stored heavy numbers (agreement, evaluation)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotator", "0010_document_list")]

    operations = []
