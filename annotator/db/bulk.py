"""Raw-SQL fast paths for bulk writes, behind one boundary.

The ORM's bulk_create builds and checks a model instance per row (about
25 µs); an import of 1,500 documents a second with 30 spans each has 20 µs
a span for everything. Rows here are plain tuples of prepared values, and
the database still checks its constraints.
"""

from __future__ import annotations

from django.db import connection

from ..models import Document, PredictedSpan, Prediction


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
    instances) is multi-row INSERTs, one SELECT of the new ids and one
    executemany UPDATE (a C loop over a prepared statement); the caller leaves out documents that already have this version's
    prediction, and the unique (document, extractor) constraint still refuses
    a duplicate.
    """
    if not predictions:
        return
    stamp = prepared(Prediction, "created_at", created_at)
    insert_rows(Prediction, ("document", "extractor", "created_at"), [(d, extractor_id, stamp) for d, _, _ in predictions])
    ids = dict(
        Prediction.objects.filter(extractor_id=extractor_id, document_id__in=[d for d, _, _ in predictions]).values_list(
            "document_id", "pk"
        )
    )
    insert_rows(
        PredictedSpan,
        ("prediction", "label", "start", "end", "score", "source"),
        [(ids[d], *span) for d, _, spans in predictions for span in spans],
    )
    quote = connection.ops.quote_name
    meta = Document._meta
    sql = f"UPDATE {quote(meta.db_table)} SET {quote(meta.get_field('uncertainty').column)} = %s WHERE {quote(meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(u, d) for d, u, _ in predictions])
