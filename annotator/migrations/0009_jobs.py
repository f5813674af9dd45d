"""Migration: background runs (jobs/): chunk rows and stored uploads."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotator", "0008_training")]

    operations = []
