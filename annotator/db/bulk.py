"""Raw-SQL fast paths, behind one boundary: bulk inserts, and reading chunks of documents fast.

Each has a plain-ORM reference implementation in the tests (tests/db/) that
its results are compared with.

The ORM's bulk_create builds and checks a model instance per row (about
25 µs); an import of 1,500 documents a second with 30 spans each has 20 µs
a span for everything. Rows here are plain tuples of prepared values, and
the database still checks its constraints.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

from django.db import connection
from django.db.models import Aggregate, TextField
from django.db.models.expressions import RawSQL

from ..formats.tokens import packed_token_offsets
from ..models import Document, ImportBatch, PredictedSpan, Prediction


def insert_rows(model, fields: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT plain rows of `model`, many to a statement.

    A statement of many rows (`INSERT ... VALUES (...), (...), ...`) costs
    SQLite half what one statement a row does (executemany).
    """
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    group = f"({', '.join(['%s'] * len(fields))})"
    per_statement = max(1, min(1000, (connection.features.max_query_params or 1 << 16) // len(fields)))
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
    full = head + ", ".join([group] * per_statement)
    with connection.cursor() as cursor:
        for begin in range(0, len(rows), per_statement):
            part = rows[begin : begin + per_statement]
            sql = full if len(part) == per_statement else head + ", ".join([group] * len(part))
            cursor.execute(sql, [value for row in part for value in row])


def prepared(model, field: str, value):
    """`value` as the database column of `model.field` stores it (e.g. a datetime on SQLite)."""
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def insert_predictions(extractor_id: int, created_at, predictions: list[tuple[int, float, list[tuple]]]) -> None:
    """INSERT one extractor version's predictions with their spans, and set each document's uncertainty.

    `predictions` holds (document id, uncertainty, spans) with spans as
    (label id, start, end, score, source) tuples. What the ORM did with a
    Prediction and a PredictedSpan instance per row (30,000 spans are 30,000
    instances) is two bulk writes, one SELECT of the new ids and one UPDATE:
    multi-row INSERTs and an executemany on SQLite; COPY and one UPDATE from
    arrays on PostgreSQL, where psycopg would parse a 6,000-placeholder INSERT
    in Python each time (a third of an import went there). The caller leaves
    out documents that already have this version's prediction, and the
    unique (document, extractor) constraint still refuses a duplicate.
    """
    if not predictions:
        return
    write = copy_rows if connection.vendor == "postgresql" else insert_rows
    stamp = prepared(Prediction, "created_at", created_at)
    write(Prediction, ("document", "extractor", "created_at"), [(d, extractor_id, stamp) for d, _, _ in predictions])
    ids = dict(
        Prediction.objects.filter(extractor_id=extractor_id, document_id__in=[d for d, _, _ in predictions]).values_list(
            "document_id", "pk"
        )
    )
    write(
        PredictedSpan,
        ("prediction", "label", "start", "end", "score", "source"),
        [(ids[d], *span) for d, _, spans in predictions for span in spans],
    )
    _set_uncertainty([(d, u) for d, u, _ in predictions])


def _set_uncertainty(pairs: list[tuple[int, float]]) -> None:
    """Set Document.uncertainty for (document id, value) pairs."""
    quote = connection.ops.quote_name
    meta = Document._meta
    table, column, key = quote(meta.db_table), quote(meta.get_field("uncertainty").column), quote(meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET {column} = v.u FROM unnest(%s::bigint[], %s::double precision[]) AS v(id, u) "
                f"WHERE {table}.{key} = v.id",
                [[d for d, _ in pairs], [u for _, u in pairs]],
            )
        else:
            cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE {key} = %s", [(u, d) for d, u in pairs])


def copy_rows(model, fields: tuple[str, ...], rows: list[tuple]) -> None:
    """PostgreSQL: COPY plain rows of `model` in (no SQL text per row to build, or for psycopg to parse)."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    # Django's errors (IntegrityError for a duplicate), as from any other statement.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class DocumentRows:
    """INSERT new documents as plain rows: what Document.objects.bulk_create would, without an instance each.

    `title(record)` gives a record's title; `insert` takes {content hash: record}.

    bulk_create builds a model instance per document and prepares its
    fourteen fields one by one, about 35 µs a document on top of the
    INSERT. Here the fields every new document shares (project, defaults,
    created_at) are prepared once, by the fields themselves, and
    the token offsets are packed straight from the text
    (formats.tokens.packed_token_offsets, the bytes TokensField stores,
    without the list of pairs between); the database still checks its
    constraints.
    """

    OWN = ("external_id", "title", "text", "content_hash", "tokens", "meta", "order")

    def __init__(self, project, title):
        self.project, self.title = project, title
        self.batch = None
        fields = {f.name: f for f in Document._meta.concrete_fields if not f.primary_key}
        self.meta_field = fields["meta"]
        self.shared = [f for name, f in fields.items() if name not in self.OWN]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [*(fields[name] for name in self.OWN), *self.shared])
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {quote(Document._meta.db_table)} ({columns}) VALUES ({marks})"

    def insert(self, records: dict, order: int) -> int:
        """Insert a document per (content hash, record), numbered from `order`; return the next number."""
        # No gold here: a document's gold comes only with its first revision (services.gold).
        # One import batch (models.ImportBatch, the document list's filter) for all the writer's new documents.
        if self.batch is None:
            self.batch = ImportBatch.objects.create(project=self.project)
        template = Document(project=self.project, batch=self.batch)
        shared = tuple(f.get_db_prep_save(f.pre_save(template, True), connection) for f in self.shared)
        prepare_meta = self.meta_field.get_db_prep_save
        rows = []
        for digest, record in records.items():
            text = record.text
            rows.append(
                (
                    record.id[:255],
                    self.title(record),
                    text,
                    digest,
                    packed_token_offsets(text),
                    prepare_meta(record.meta, connection),
                    order,
                    *shared,
                )
            )
            order += 1
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)
        return order


# ---------------------------------------------------------------- reading chunks of documents fast


class _ChunkIds:
    """The one parameter that stands for a chunk's document ids while its queries are compiled."""


def chunk_ids(marker) -> RawSQL:
    """A subquery of the ids in one JSON-array parameter, for `field__in=`: the SQL is ours, not the ORM's.

    SQLite reads the array with json_each, PostgreSQL with
    jsonb_array_elements_text; either way the chunk is one parameter, at a
    place the compiled SQL keeps whatever the ORM's version.
    """
    if connection.vendor == "postgresql":
        return RawSQL("SELECT (jsonb_array_elements_text(%s::jsonb))::bigint", [marker])
    return RawSQL("SELECT value FROM json_each(%s)", [marker])


class ChunkQueries:
    """Querysets over a chunk of document ids, compiled once and run for any chunk.

    Compiling the three querysets of a chunk takes about 10 ms (10 µs a
    document at 900 a chunk). `build(ids)` returns the querysets with `ids`
    (chunk_ids of a marker object) where the chunk's ids go; the marker is
    found among the compiled parameters by identity, and `bind` puts the
    chunk, as a JSON array, at those positions. A marker that went missing
    (an ORM that copied or folded the parameter) is an error at once, not a
    silently wrong export.
    """

    def __init__(self, build):
        marker = _ChunkIds()
        self._queries: list[tuple[str, tuple, list[int]]] = []
        for queryset in build(chunk_ids(marker)):
            sql, params = queryset.query.sql_with_params()
            positions = [index for index, value in enumerate(params) if value is marker]
            if not positions:
                raise RuntimeError(f"the chunk's ids are not among the parameters of {sql}")
            self._queries.append((sql, tuple(params), positions))

    def bind(self, chunk: list[int]) -> list[tuple[str, tuple]]:
        """(SQL, parameters) of each query for the document ids of `chunk`."""
        ids = json.dumps([int(pk) for pk in chunk])
        bound = []
        for sql, params, positions in self._queries:
            values = list(params)
            for index in positions:
                values[index] = ids
            bound.append((sql, tuple(values)))
        return bound


def fetch(wrapper, queries: list[tuple[str, tuple]]) -> list[list[tuple]]:
    """Run compiled queries on the connection `wrapper` and return their rows as the driver gives them.

    Django's row iterator costs about 1 µs a row on top of the driver; at
    600,000 spans a second that is most of the time. JSON columns come back
    as text, PostgreSQL's JSON_AGG as lists.
    """
    out = []
    with wrapper.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            out.append(cursor.fetchall())
    return out


class _JSONList(Aggregate):
    """A JSON array of the group's values of one column, on SQLite and PostgreSQL."""

    function = "JSON_GROUP_ARRAY"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_AGG", **extra_context)


def json_columns(rows, owner: str, *fields: str):
    """(owner, [field 1 of each row], [field 2 of each], ...) per owner of the queryset `rows`, in no
    particular order but the same in each list (each aggregate of a group sees the group's rows in one order).

    The database builds the arrays: SQLite does per row what it does without
    holding Python's lock, and Python parses a few strings per owner instead
    of building a tuple per row.
    """
    columns = {f"c{i}": _JSONList(name) for i, name in enumerate(fields)}
    return rows.order_by().values(owner).annotate(**columns).values_list(owner, *columns)


@contextmanager
def roomy_cache(megabytes: int = 64):
    """Give SQLite a larger page cache on this connection (its default is 2 MB) for a bulk import or export.

    Each new document goes into the (project, content_hash) index at a random
    place; once that index outgrows the cache, every insert reads pages from
    disk, and a 100,000-document import runs at half speed (64 MB). An export
    reads a chunk's documents a third faster (16 MB is as good as more). The
    connection gets its own size back afterwards.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (size,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(size)}")
