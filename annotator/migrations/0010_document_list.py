"""Migration: the document list: full-text search, indexes, import batches, assignments by managers.

Search is kept in step by database triggers, so every path that writes
documents (the import's raw INSERT, the ORM, the admin) is covered without
a Python hook:

- SQLite: an external-content FTS5 table over (title, text), tokenised by
  unicode61 with remove_diacritics 2, so "Düsseldorf" and "dusseldorf" are
  the same token both in the index and in a query.
- PostgreSQL: a table of tsvectors (config `simple`: no stemming, as in
  FTS5) with a GIN index, built from `unaccent(title || text)`. unaccent is
  not IMMUTABLE, so it cannot go into an index expression or a generated
  column; a trigger may call it. The accent-folded vector is what is
  stored and indexed, and queries fold their words the same way. The text
  is cut at 200,000 characters for the vector (a tsvector is limited to
  1 MB; positions stop at 16,383 anyway).

Caution: on SQLite, a later migration that remakes annotator_document
(some AlterField/AddField do) drops these triggers with the old table and
must create them again; tests/documents/test_search.py fails if it did.
"""

import django.db.models.deletion
import django.db.models.functions.comparison
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

SQLITE = [
    """CREATE VIRTUAL TABLE annotator_document_fts USING fts5(
        title, text, content='annotator_document', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER annotator_document_fts_insert AFTER INSERT ON annotator_document BEGIN
        INSERT INTO annotator_document_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER annotator_document_fts_delete AFTER DELETE ON annotator_document BEGIN
        INSERT INTO annotator_document_fts(annotator_document_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER annotator_document_fts_update AFTER UPDATE OF title, text ON annotator_document BEGIN
        INSERT INTO annotator_document_fts(annotator_document_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO annotator_document_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    "INSERT INTO annotator_document_fts(annotator_document_fts) VALUES ('rebuild')",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS annotator_document_fts_update",
    "DROP TRIGGER IF EXISTS annotator_document_fts_delete",
    "DROP TRIGGER IF EXISTS annotator_document_fts_insert",
    "DROP TABLE IF EXISTS annotator_document_fts",
]

VECTOR = "to_tsvector('simple', unaccent(coalesce({row}title, '') || ' ' || left({row}text, 200000)))"
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """CREATE TABLE annotator_document_search (
        document_id bigint PRIMARY KEY, vector tsvector NOT NULL)""",
    "CREATE INDEX annotator_document_search_vector ON annotator_document_search USING GIN (vector)",
    f"""CREATE FUNCTION annotator_document_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO annotator_document_search (document_id, vector) VALUES (NEW.id, {VECTOR.format(row="NEW.")})
        ON CONFLICT (document_id) DO UPDATE SET vector = EXCLUDED.vector;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION annotator_document_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM annotator_document_search WHERE document_id = OLD.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER annotator_document_search_write AFTER INSERT OR UPDATE OF title, text
        ON annotator_document FOR EACH ROW EXECUTE FUNCTION annotator_document_search_write()""",
    """CREATE TRIGGER annotator_document_search_forget AFTER DELETE
        ON annotator_document FOR EACH ROW EXECUTE FUNCTION annotator_document_search_forget()""",
    f"""INSERT INTO annotator_document_search (document_id, vector)
        SELECT id, {VECTOR.format(row="")} FROM annotator_document""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS annotator_document_search_forget ON annotator_document",
    "DROP TRIGGER IF EXISTS annotator_document_search_write ON annotator_document",
    "DROP FUNCTION IF EXISTS annotator_document_search_forget()",
    "DROP FUNCTION IF EXISTS annotator_document_search_write()",
    "DROP TABLE IF EXISTS annotator_document_search",
]


class VendorSQL(migrations.operations.base.Operation):
    """RunSQL with one list of statements per database vendor (none for a vendor not named)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, forward: dict, backward: dict):
        self.forward, self.backward = forward, backward

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for statement in self.forward.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in self.backward.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    def describe(self):
        return "Full-text search of documents (FTS5 on SQLite, tsvector + GIN on PostgreSQL)"


class Migration(migrations.Migration):
    dependencies = [
        ("annotator", "0009_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportBatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.CharField(blank=True, help_text="What was imported (a file name, the API).", max_length=300)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="import_batches", to="annotator.project"
                    ),
                ),
            ],
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.AddField(
            model_name="document",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="documents",
                to="annotator.importbatch",
            ),
        ),
        migrations.CreateModel(
            name="Assignment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("assigned_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "assigned_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="assignments", to="annotator.document"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="assignments", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("document", "user"), name="assignment_unique_user")],
                "indexes": [models.Index(fields=["user", "document"], name="assignment_user_document")],
            },
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["project", "order", "id"], name="document_project_order"),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("gold_at__isnull", True)), fields=["project", "order", "id"], name="document_no_gold_order"
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["project", "uncertainty", "id"], name="document_project_uncertainty"),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                models.F("project"),
                django.db.models.functions.comparison.Coalesce("gold_at", "created_at"),
                models.F("id"),
                name="document_project_updated",
            ),
        ),
        VendorSQL({"sqlite": SQLITE, "postgresql": POSTGRESQL}, {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
    ]
