"""Raw-SQL fast paths for bulk writes, behind one boundary.

The ORM's bulk_create builds and checks a model instance per row (about
25 µs); an import of 1,500 documents a second with 30 spans each has 20 µs
a span for everything. Rows here are plain tuples of prepared values, and
the database still checks its constraints.
"""

from __future__ import annotations

from django.db import connection


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
