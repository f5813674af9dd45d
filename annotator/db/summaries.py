"""The triggers that keep models.DocumentSummary and models.DocumentMeta in step, and their rebuild.

Triggers rather than Python hooks: documents, annotations and spans are
written by the ORM, by the raw-SQL bulk paths (annotator.db.bulk, COPY on
PostgreSQL) and by the admin; a trigger sees every one of them, in the same
transaction as the write.

What fires what:
- a document inserted: its summary row (no annotations yet: reviewed if it
  came with gold, else unassigned) and its metadata rows;
- a document's gold_at, reviewed_at, order or project changed: copied into
  the summary, and the state worked out again from the stored counts;
  its meta changed: its metadata rows written again;
- an annotation (kind "annotation") inserted, changed or deleted: the
  document's counts, latest submission and disagreement recounted (a few
  index lookups), then its state;
- a span of a submitted annotation inserted, changed or deleted: the same
  (only a submitted annotation's spans can make a disagreement);
- a project's k or review step changed: the state of all its documents;
- an annotation (kind "annotation") inserted, deleted, or its status,
  submission time, kind, document or annotator changed: its annotator's
  counts in the project (models.AnnotatorSummary) moved by one, up for the
  new row and down for the old (a delete only ever lowers an existing row,
  so a summary deleted first by a cascade is not made again);
- a document's summary inserted, deleted, or its state, gold or project
  changed (by the statements above): the documents counted per (project,
  state) and with gold (models.StateCount), down for the old row, up for
  the new one (on PostgreSQL as rows of changes that readers sum, so the
  writers of a project never queue on one counter row; see pg_states).

SQLite runs row triggers (a trigger's WHEN may ask the annotation's
status). PostgreSQL runs statement triggers with transition tables for the
bulk tables (one refresh per statement of 1,000 rows, not one per row) and
row triggers where a column condition picks the rows.

Caution (as for search, migration 0010): on SQLite a migration that remakes
one of these tables drops its triggers; `install` creates them again, and
tests/documents/test_summaries.py fails if they are missing.
"""

from __future__ import annotations

from ..models.summaries import META_LIMIT
from ..roles import AnnotationKind, AnnotationStatus, DocumentState

SUMMARY = "annotator_documentsummary"
META = "annotator_documentmeta"
WORK = "annotator_annotatorsummary"
STATES = "annotator_statecount"
ANNOTATION = AnnotationKind.ANNOTATION.value
SUBMITTED = AnnotationStatus.SUBMITTED.value


def _count(status: str) -> str:
    return (
        f"(SELECT COUNT(*) FROM annotator_annotation a WHERE a.document_id = {SUMMARY}.document_id "
        f"AND a.kind = '{ANNOTATION}' AND a.status = '{status}')"
    )


# Some (start, end, label) is held by fewer submitted annotations than there are (selectors.documents.disagreeing).
DISAGREEMENT = f"""EXISTS (SELECT 1 FROM annotator_annotationspan s JOIN annotator_annotation a ON a.id = s.annotation_id
    WHERE a.document_id = {SUMMARY}.document_id AND a.kind = '{ANNOTATION}' AND a.status = '{SUBMITTED}'
    GROUP BY s.start, s."end", s.label_id HAVING COUNT(DISTINCT s.annotation_id) < {_count(SUBMITTED)})"""

COUNTS = f"""UPDATE {SUMMARY} SET
    submitted = {_count(SUBMITTED)},
    drafts = {_count(AnnotationStatus.DRAFT.value)},
    skipped = {_count(AnnotationStatus.SKIPPED.value)},
    last_submitted = (SELECT MAX(a.submitted_at) FROM annotator_annotation a WHERE a.document_id = {SUMMARY}.document_id
        AND a.kind = '{ANNOTATION}' AND a.status = '{SUBMITTED}'),
    disagreement = {DISAGREEMENT}
    WHERE {{where}}"""

# annotator.states.needed_for_review, from the project's row.
NEEDED = f"""(SELECT CASE WHEN p.annotators_per_document > 1 OR p.review_single THEN p.annotators_per_document ELSE 1 END
    FROM annotator_project p WHERE p.id = {SUMMARY}.project_id)"""

# annotator.states.document_state over the stored columns (tests/documents/test_summaries.py compares them).
STATE = f"""UPDATE {SUMMARY} SET state = CASE
    WHEN gold_at IS NOT NULL AND last_submitted IS NOT NULL AND (reviewed_at IS NULL OR last_submitted > reviewed_at)
        THEN '{DocumentState.WAITING.value}'
    WHEN gold_at IS NOT NULL THEN '{DocumentState.REVIEWED.value}'
    WHEN submitted >= {NEEDED} THEN '{DocumentState.WAITING.value}'
    WHEN submitted > 0 THEN '{DocumentState.SUBMITTED.value}'
    WHEN drafts > 0 THEN '{DocumentState.IN_PROGRESS.value}'
    ELSE '{DocumentState.UNASSIGNED.value}' END
    WHERE {{where}}"""

COPY_DOCUMENT = f"""UPDATE {SUMMARY} SET gold_at = NEW.gold_at, reviewed_at = NEW.reviewed_at, "order" = NEW."order",
    project_id = NEW.project_id WHERE document_id = NEW.id"""


def _is(row: str, status: str) -> str:
    return f"CASE WHEN {row}.status = '{status}' THEN 1 ELSE 0 END"


STATUS_COLUMNS = (("submitted", SUBMITTED), ("drafts", AnnotationStatus.DRAFT.value), ("skipped", AnnotationStatus.SKIPPED.value))


def work_up(rows: str, row: str = "r") -> str:
    """Add the annotations `rows` holds (a table of annotation rows named `row`) to their annotators' counts:
    grouped, so a bulk statement costs one upsert an annotator."""
    sums = ", ".join(f"SUM({_is(row, status)})" for _, status in STATUS_COLUMNS)
    columns = ", ".join(column for column, _ in STATUS_COLUMNS)
    moved = ", ".join(f"{column} = {WORK}.{column} + excluded.{column}" for column, _ in STATUS_COLUMNS)
    return f"""INSERT INTO {WORK} (project_id, annotator_id, {columns}, submitted_changes)
    SELECT d.project_id, {row}.annotator_id, {sums}, SUM({_is(row, SUBMITTED)})
    FROM {rows} JOIN annotator_document d ON d.id = {row}.document_id WHERE {row}.kind = '{ANNOTATION}'
    GROUP BY d.project_id, {row}.annotator_id
    ON CONFLICT (project_id, annotator_id) DO UPDATE SET {moved},
    submitted_changes = {WORK}.submitted_changes + excluded.submitted_changes"""


def work_down(rows: str, row: str = "r") -> str:
    """Take the annotations `rows` holds off their annotators' counts (an UPDATE of the rows that exist)."""
    sums = ", ".join(f"SUM({_is(row, status)}) AS {column}" for column, status in STATUS_COLUMNS)
    moved = ", ".join(f"{column} = {WORK}.{column} - m.{column}" for column, _ in STATUS_COLUMNS)
    return f"""UPDATE {WORK} SET {moved}, submitted_changes = {WORK}.submitted_changes + m.changes
    FROM (SELECT d.project_id, {row}.annotator_id, {sums}, SUM({_is(row, SUBMITTED)}) AS changes
        FROM {rows} JOIN annotator_document d ON d.id = {row}.document_id WHERE {row}.kind = '{ANNOTATION}'
        GROUP BY d.project_id, {row}.annotator_id) m
    WHERE m.project_id = {WORK}.project_id AND m.annotator_id = {WORK}.annotator_id"""


def _one_row(row: str) -> str:
    """NEW or OLD of an SQLite row trigger as a one-row table `r` (what work_up/work_down read)."""
    return f"(SELECT {row}.annotator_id AS annotator_id, {row}.document_id AS document_id, {row}.kind AS kind, {row}.status AS status) r"


def _gold(row: str) -> str:
    return f"CASE WHEN {row}.gold_at IS NULL THEN 0 ELSE 1 END"


def sqlite_states(row: str, sign: int) -> list[str]:
    """Move the count of the summary row `row` (NEW or OLD) by `sign` in its (project, state) row: one row
    a key on SQLite, whose single writer makes an UPDATE (then an INSERT if the key is new) safe."""
    key = f"project_id = {row}.project_id AND state = {row}.state"
    update = f"UPDATE {STATES} SET documents = documents + ({sign}), gold = gold + ({sign}) * {_gold(row)} WHERE {key}"
    if sign < 0:
        return [update]
    insert = (f"INSERT INTO {STATES} (project_id, state, documents, gold) SELECT {row}.project_id, {row}.state, 1, "
              f"{_gold(row)} WHERE NOT EXISTS (SELECT 1 FROM {STATES} WHERE {key})")
    return [update, insert]


# PostgreSQL: a statement adds its changes as new rows (documents and gold per (project, state), + for the
# new summary rows, - for the old), so writers in one project never wait on one another's counter row;
# a reader sums the rows. Past COMPACT_AFTER rows a project's rows are folded into one a state, taking
# only rows no other transaction holds (SKIP LOCKED), so folding never waits either.
COMPACT_AFTER = 64


def pg_states(new: str | None, old: str | None) -> list[str]:
    """The statements of a summary trigger on PostgreSQL: `new` and `old` are the changed rows (SQL of a
    table aliased r), either may be None."""
    changes = " UNION ALL ".join(f"SELECT r.project_id, r.state, {sign} AS documents, {sign} * {_gold('r')} AS gold FROM {rows}"
                                 for rows, sign in ((new, 1), (old, -1)) if rows)
    projects = " UNION ".join(f"SELECT r.project_id FROM {rows}" for rows in (new, old) if rows)
    return [
        f"""INSERT INTO {STATES} (project_id, state, documents, gold)
        SELECT project_id, state, SUM(documents), SUM(gold) FROM ({changes}) x
        GROUP BY project_id, state HAVING SUM(documents) <> 0 OR SUM(gold) <> 0""",
        f"""IF EXISTS (SELECT 1 FROM {STATES} s WHERE s.project_id IN ({projects})
            GROUP BY s.project_id HAVING COUNT(*) > {COMPACT_AFTER}) THEN
            WITH gone AS (DELETE FROM {STATES} WHERE id IN (SELECT id FROM {STATES}
                WHERE project_id IN ({projects}) FOR UPDATE SKIP LOCKED) RETURNING project_id, state, documents, gold)
            INSERT INTO {STATES} (project_id, state, documents, gold)
            SELECT project_id, state, SUM(documents), SUM(gold) FROM gone GROUP BY project_id, state;
        END IF""",
    ]


# The annotation columns whose change moves an annotator's counts (an edit that only bumps the version moves none).
WORK_COLUMNS = ("status", "submitted_at", "kind", "document_id", "annotator_id")


def _new_summary(rows: str) -> str:
    """INSERT the summary rows of new documents read from `rows` (NEW, or a transition table)."""
    return f"""INSERT INTO {SUMMARY} (document_id, project_id, "order", submitted, drafts, skipped, last_submitted,
        gold_at, reviewed_at, disagreement, state)
        SELECT n.id, n.project_id, n."order", 0, 0, 0, NULL, n.gold_at, n.reviewed_at, {{false}},
        CASE WHEN n.gold_at IS NULL THEN '{DocumentState.UNASSIGNED.value}' ELSE '{DocumentState.REVIEWED.value}' END
        FROM {rows} n"""


def refresh(where: str) -> list[str]:
    """The statements that recount the summary rows `where` selects, then their state."""
    return [COUNTS.format(where=where), STATE.format(where=where)]


# ---------------------------------------------------------------- SQLite

def _sqlite_meta(row: str, source: str = "", where: str = "") -> str:
    """INSERT the metadata rows of the documents `row` names (NEW, or `d` of `source`)."""
    return f"""INSERT INTO {META} (document_id, project_id, "key", value)
    SELECT {row}.id, {row}.project_id, j.key, CAST(j.value AS TEXT) FROM {source}json_each({row}.meta) j
    WHERE json_valid({row}.meta) AND json_type({row}.meta) = 'object' AND j.value IS NOT NULL
    AND length(j.key) <= {META_LIMIT} AND length(CAST(j.value AS TEXT)) <= {META_LIMIT}{where}"""


SQLITE_META = _sqlite_meta("NEW")

SUBMITTED_SPAN = (
    "(SELECT 1 FROM annotator_annotation a WHERE a.id = {row}.annotation_id "
    f"AND a.kind = '{ANNOTATION}' AND a.status = '{SUBMITTED}') IS NOT NULL"
)


def _sqlite_trigger(name: str, event: str, table: str, statements: list[str], when: str = "") -> tuple[str, str]:
    body = ";\n    ".join(statements)
    condition = f" WHEN {when}" if when else ""
    return name, f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table}{condition} BEGIN\n    {body};\nEND"


def _part(name: str) -> str:
    """Which part a trigger or function belongs to, by its name: "summary", "work" or "states"."""
    return name.split("_")[0]


PARTS = ("summary", "work", "states")


def sqlite_triggers(parts=PARTS) -> list[str]:
    new_doc, old_doc = "document_id = NEW.document_id", "document_id = OLD.document_id"
    changed = "OLD.gold_at IS NOT NEW.gold_at OR OLD.reviewed_at IS NOT NEW.reviewed_at OR OLD.\"order\" IS NOT NEW.\"order\" OR OLD.project_id IS NOT NEW.project_id"
    triggers = [
        _sqlite_trigger("summary_document_insert", "INSERT", "annotator_document",
                        [_new_summary("(SELECT NEW.id AS id, NEW.project_id AS project_id, NEW.\"order\" AS \"order\", "
                                      "NEW.gold_at AS gold_at, NEW.reviewed_at AS reviewed_at)").format(false="0"), SQLITE_META]),
        _sqlite_trigger("summary_document_update", 'UPDATE OF gold_at, reviewed_at, "order", project_id', "annotator_document",
                        [COPY_DOCUMENT, STATE.format(where="document_id = NEW.id")], when=changed),
        _sqlite_trigger("summary_document_meta", "UPDATE OF meta, project_id", "annotator_document",
                        [f"DELETE FROM {META} WHERE document_id = NEW.id", SQLITE_META],
                        when="OLD.meta IS NOT NEW.meta OR OLD.project_id IS NOT NEW.project_id"),
        _sqlite_trigger("summary_document_delete", "DELETE", "annotator_document",
                        [f"DELETE FROM {SUMMARY} WHERE document_id = OLD.id", f"DELETE FROM {META} WHERE document_id = OLD.id"]),
        _sqlite_trigger("summary_annotation_insert", "INSERT", "annotator_annotation", refresh(new_doc),
                        when=f"NEW.kind = '{ANNOTATION}'"),
        _sqlite_trigger("summary_annotation_update", "UPDATE OF status, submitted_at, kind, document_id", "annotator_annotation",
                        refresh(f"{new_doc} OR {old_doc}"),
                        when=f"(NEW.kind = '{ANNOTATION}' OR OLD.kind = '{ANNOTATION}') AND (OLD.status IS NOT NEW.status "
                        "OR OLD.submitted_at IS NOT NEW.submitted_at OR OLD.kind IS NOT NEW.kind OR OLD.document_id IS NOT NEW.document_id)"),
        _sqlite_trigger("summary_annotation_delete", "DELETE", "annotator_annotation", refresh(old_doc),
                        when=f"OLD.kind = '{ANNOTATION}'"),
        _sqlite_trigger("summary_span_insert", "INSERT", "annotator_annotationspan", refresh(_span_document("NEW")),
                        when=SUBMITTED_SPAN.format(row="NEW")),
        _sqlite_trigger("summary_span_update", "UPDATE", "annotator_annotationspan",
                        refresh(f"{_span_document('NEW')} OR {_span_document('OLD')}"),
                        when=f"{SUBMITTED_SPAN.format(row='NEW')} OR {SUBMITTED_SPAN.format(row='OLD')}"),
        _sqlite_trigger("summary_span_delete", "DELETE", "annotator_annotationspan", refresh(_span_document("OLD")),
                        when=SUBMITTED_SPAN.format(row="OLD")),
        _sqlite_trigger("summary_project_update", "UPDATE OF annotators_per_document, review_single", "annotator_project",
                        [STATE.format(where="project_id = NEW.id")],
                        when="OLD.annotators_per_document IS NOT NEW.annotators_per_document OR OLD.review_single IS NOT NEW.review_single"),
        _sqlite_trigger("work_annotation_insert", "INSERT", "annotator_annotation", [work_up(_one_row("NEW"))],
                        when=f"NEW.kind = '{ANNOTATION}'"),
        _sqlite_trigger("work_annotation_update", f"UPDATE OF {', '.join(WORK_COLUMNS)}", "annotator_annotation",
                        [work_down(_one_row("OLD")), work_up(_one_row("NEW"))],
                        when=" OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in WORK_COLUMNS)),
        _sqlite_trigger("work_annotation_delete", "DELETE", "annotator_annotation", [work_down(_one_row("OLD"))],
                        when=f"OLD.kind = '{ANNOTATION}'"),
        _sqlite_trigger("states_summary_insert", "INSERT", SUMMARY, sqlite_states("NEW", +1)),
        _sqlite_trigger("states_summary_update", "UPDATE OF state, gold_at, project_id", SUMMARY,
                        sqlite_states("OLD", -1) + sqlite_states("NEW", +1),
                        when="OLD.state IS NOT NEW.state OR (OLD.gold_at IS NULL) <> (NEW.gold_at IS NULL) "
                        "OR OLD.project_id IS NOT NEW.project_id"),
        _sqlite_trigger("states_summary_delete", "DELETE", SUMMARY, sqlite_states("OLD", -1)),
    ]
    return [sql for name, sql in triggers if _part(name) in parts]


def _span_document(row: str) -> str:
    return f"document_id = (SELECT a.document_id FROM annotator_annotation a WHERE a.id = {row}.annotation_id)"


# (trigger, table): the same names on both databases.
TRIGGERS = [
    *[(name, "annotator_document") for name in ("summary_document_insert", "summary_document_update",
                                                 "summary_document_meta", "summary_document_delete")],
    *[(f"summary_annotation_{event}", "annotator_annotation") for event in ("insert", "update", "delete")],
    *[(f"summary_span_{event}", "annotator_annotationspan") for event in ("insert", "update", "delete")],
    ("summary_project_update", "annotator_project"),
    *[(f"work_annotation_{event}", "annotator_annotation") for event in ("insert", "update", "delete")],
    *[(f"states_summary_{event}", SUMMARY) for event in ("insert", "update", "delete")],
]


# ---------------------------------------------------------------- PostgreSQL

PG_META = f"""INSERT INTO {META} (document_id, project_id, "key", value)
    SELECT n.id, n.project_id, e.key, e.value FROM {{rows}} n
    CROSS JOIN LATERAL jsonb_each_text(CASE WHEN jsonb_typeof(n.meta) = 'object' THEN n.meta ELSE '{{{{}}}}'::jsonb END) e
    WHERE e.value IS NOT NULL AND length(e.key) <= {META_LIMIT} AND length(e.value) <= {META_LIMIT}"""

SPAN_DOCUMENTS = (
    "document_id IN (SELECT a.document_id FROM {rows} s JOIN annotator_annotation a ON a.id = s.annotation_id "
    f"WHERE a.kind = '{ANNOTATION}' AND a.status = '{SUBMITTED}')"
)


# The documents of annotations whose status, submission time, kind or document an UPDATE changed (an edit
# that only bumps the version changes none of them).
ANNOTATIONS_CHANGED = f"""document_id IN (SELECT d.document_id FROM new_rows n JOIN old_rows o ON o.id = n.id,
    LATERAL (VALUES (n.document_id), (o.document_id)) AS d(document_id)
    WHERE (n.kind = '{ANNOTATION}' OR o.kind = '{ANNOTATION}') AND (n.status IS DISTINCT FROM o.status
    OR n.submitted_at IS DISTINCT FROM o.submitted_at OR n.kind IS DISTINCT FROM o.kind OR n.document_id IS DISTINCT FROM o.document_id))"""


# The old ("o") or new ("n") summary rows whose state, gold or project an UPDATE changed.
STATES_CHANGED = ("SELECT {side}.* FROM new_rows n JOIN old_rows o ON o.document_id = n.document_id "
                  "WHERE n.state IS DISTINCT FROM o.state OR (n.gold_at IS NULL) <> (o.gold_at IS NULL) "
                  "OR n.project_id IS DISTINCT FROM o.project_id")

# The old (side "o") or new ("n") rows of the annotations whose counted columns an UPDATE changed.
WORK_CHANGED = "SELECT {side}.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE " + " OR ".join(
    f"n.{column} IS DISTINCT FROM o.{column}" for column in WORK_COLUMNS
)


# The documents whose gold time, review time, order or project an UPDATE changed (PostgreSQL).
DOCUMENTS_MOVED = """SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.gold_at IS DISTINCT FROM o.gold_at OR n.reviewed_at IS DISTINCT FROM o.reviewed_at
    OR n."order" IS DISTINCT FROM o."order" OR n.project_id IS DISTINCT FROM o.project_id"""

PG_COPY_DOCUMENTS = f"""UPDATE {SUMMARY} SET gold_at = n.gold_at, reviewed_at = n.reviewed_at, "order" = n."order",
    project_id = n.project_id FROM new_rows n WHERE {SUMMARY}.document_id = n.id AND n.id IN ({DOCUMENTS_MOVED})"""


def _pg_function(name: str, statements: list[str]) -> str:
    body = ";\n        ".join(statements)
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {body};
        RETURN NULL;
    END $$"""


def _pg_trigger(name: str, timing: str, table: str, function: str, *, rows: str = "", when: str = "") -> list[str]:
    each = "FOR EACH ROW" if when or not rows else "FOR EACH STATEMENT"
    referencing = f" REFERENCING {rows}" if rows else ""
    condition = f" WHEN ({when})" if when else ""
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} {timing} ON {table}{referencing} {each}{condition} EXECUTE FUNCTION {function}()",
    ]


def postgresql_statements(parts=PARTS) -> list[str]:
    """Functions and triggers (CREATE OR REPLACE, DROP IF EXISTS first: safe to run again)."""
    annotation_docs = f"document_id IN (SELECT document_id FROM {{rows}} WHERE kind = '{ANNOTATION}')"
    functions = {
        "summary_documents_inserted": [_new_summary("new_rows").format(false="false"), PG_META.format(rows="new_rows")],
        "summary_document_changed": [PG_COPY_DOCUMENTS, STATE.format(where=f"document_id IN ({DOCUMENTS_MOVED})")],
        "summary_document_meta": [f"DELETE FROM {META} WHERE document_id = NEW.id",
                                  PG_META.format(rows="(SELECT NEW.id AS id, NEW.project_id AS project_id, NEW.meta AS meta)")],
        "summary_documents_deleted": [f"DELETE FROM {SUMMARY} WHERE document_id IN (SELECT id FROM old_rows)",
                                      f"DELETE FROM {META} WHERE document_id IN (SELECT id FROM old_rows)"],
        "summary_annotations_new": refresh(annotation_docs.format(rows="new_rows")),
        "summary_annotations_old": refresh(annotation_docs.format(rows="old_rows")),
        "summary_annotations_updated": refresh(ANNOTATIONS_CHANGED),
        "summary_spans_new": refresh(SPAN_DOCUMENTS.format(rows="new_rows")),
        "summary_spans_old": refresh(SPAN_DOCUMENTS.format(rows="old_rows")),
        "summary_spans_updated": refresh(f"{SPAN_DOCUMENTS.format(rows='new_rows')} OR {SPAN_DOCUMENTS.format(rows='old_rows')}"),
        "summary_project_changed": [STATE.format(where="project_id = NEW.id")],
        "work_annotations_new": [work_up("new_rows r")],
        "work_annotations_old": [work_down("old_rows r")],
        "work_annotations_updated": [work_down(f"({WORK_CHANGED.format(side='o')}) r"),
                                     work_up(f"({WORK_CHANGED.format(side='n')}) r")],
        "states_summaries_new": pg_states("new_rows r", None),
        "states_summaries_old": pg_states(None, "old_rows r"),
        "states_summaries_updated": pg_states(f"({STATES_CHANGED.format(side='n')}) r", f"({STATES_CHANGED.format(side='o')}) r"),
    }
    statements = [_pg_function(name, body) for name, body in functions.items() if _part(name) in parts]
    both = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
    triggers = [
        ("summary_document_insert", "AFTER INSERT", "annotator_document", "summary_documents_inserted", "NEW TABLE AS new_rows", ""),
        # A statement trigger (one refresh for a bulk UPDATE of gold times, not a statement a row, which in
        # one long transaction made each row's work grow with the rows before it); a column list cannot
        # have transition tables, so the function picks the rows whose copied columns changed.
        ("summary_document_update", "AFTER UPDATE", "annotator_document", "summary_document_changed", both, ""),
        ("summary_document_meta", "AFTER UPDATE OF meta, project_id", "annotator_document", "summary_document_meta", "",
         "OLD.meta IS DISTINCT FROM NEW.meta OR OLD.project_id IS DISTINCT FROM NEW.project_id"),
        ("summary_document_delete", "AFTER DELETE", "annotator_document", "summary_documents_deleted", "OLD TABLE AS old_rows", ""),
        ("summary_annotation_insert", "AFTER INSERT", "annotator_annotation", "summary_annotations_new", "NEW TABLE AS new_rows", ""),
        ("summary_annotation_update", "AFTER UPDATE", "annotator_annotation", "summary_annotations_updated", both, ""),
        ("summary_annotation_delete", "AFTER DELETE", "annotator_annotation", "summary_annotations_old", "OLD TABLE AS old_rows", ""),
        ("summary_span_insert", "AFTER INSERT", "annotator_annotationspan", "summary_spans_new", "NEW TABLE AS new_rows", ""),
        ("summary_span_update", "AFTER UPDATE", "annotator_annotationspan", "summary_spans_updated", both, ""),
        ("summary_span_delete", "AFTER DELETE", "annotator_annotationspan", "summary_spans_old", "OLD TABLE AS old_rows", ""),
        ("summary_project_update", "AFTER UPDATE OF annotators_per_document, review_single", "annotator_project",
         "summary_project_changed", "",
         "OLD.annotators_per_document IS DISTINCT FROM NEW.annotators_per_document OR OLD.review_single IS DISTINCT FROM NEW.review_single"),
        ("work_annotation_insert", "AFTER INSERT", "annotator_annotation", "work_annotations_new", "NEW TABLE AS new_rows", ""),
        ("work_annotation_update", "AFTER UPDATE", "annotator_annotation", "work_annotations_updated", both, ""),
        ("work_annotation_delete", "AFTER DELETE", "annotator_annotation", "work_annotations_old", "OLD TABLE AS old_rows", ""),
        # (An UPDATE OF a column list cannot have transition tables: the function picks the changed rows.)
        ("states_summary_insert", "AFTER INSERT", SUMMARY, "states_summaries_new", "NEW TABLE AS new_rows", ""),
        ("states_summary_update", "AFTER UPDATE", SUMMARY, "states_summaries_updated", both, ""),
        ("states_summary_delete", "AFTER DELETE", SUMMARY, "states_summaries_old", "OLD TABLE AS old_rows", ""),
    ]
    for name, timing, table, function, rows, when in triggers:
        if _part(name) in parts:
            statements += _pg_trigger(name, timing, table, function, rows=rows, when=when)
    return statements


# ---------------------------------------------------------------- install and rebuild


def install(connection, parts=PARTS) -> None:
    """Create the triggers (again): idempotent, run by `rebuild_summaries` and by the migrations, each with
    the parts whose tables exist by then (0013 "summary", 0014 "work", 0015 "states")."""
    statements = postgresql_statements(parts) if connection.vendor == "postgresql" else sqlite_triggers(parts)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def rebuild(connection, project_id: int | None = None, parts=PARTS) -> int:
    """Recompute the summaries and metadata rows of one project (or all) from the base tables; rows written.

    Missing summary rows are created, stale ones recounted; metadata rows
    are written again. Set-based: a handful of statements whatever the size.
    """
    scope = "" if project_id is None else f" WHERE project_id = {int(project_id)}"
    where = "TRUE" if project_id is None else f"project_id = {int(project_id)}"
    false = "false" if connection.vendor == "postgresql" else "0"
    missing = f"(SELECT * FROM annotator_document d{scope.replace('project_id', 'd.project_id')})"
    insert = _new_summary(missing).format(false=false) + f" WHERE NOT EXISTS (SELECT 1 FROM {SUMMARY} s WHERE s.document_id = n.id)"
    copy = f"""UPDATE {SUMMARY} SET gold_at = d.gold_at, reviewed_at = d.reviewed_at, "order" = d."order",
        project_id = d.project_id FROM annotator_document d WHERE d.id = {SUMMARY}.document_id AND {where.replace('project_id', 'd.project_id')}"""
    if connection.vendor == "postgresql":
        meta = PG_META.format(rows=f"(SELECT id, project_id, meta FROM annotator_document{scope})")
    else:
        meta = _sqlite_meta("d", "annotator_document d, ", "" if project_id is None else f" AND d.project_id = {int(project_id)}")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SUMMARY} WHERE document_id NOT IN (SELECT id FROM annotator_document)")
        cursor.execute(insert)
        cursor.execute(copy)
        for statement in refresh(where):
            cursor.execute(statement)
        written = cursor.rowcount
        cursor.execute(f"DELETE FROM {META}{scope}")
        cursor.execute(meta)
        for statement in work_rebuild(project_id) if "work" in parts else []:
            cursor.execute(statement)
        for statement in states_rebuild(project_id) if "states" in parts else []:
            cursor.execute(statement)
    return written


def states_rebuild(project_id: int | None = None) -> list[str]:
    """Count the documents per state (and with gold) again from the summaries (of one project, or all)."""
    scope = "" if project_id is None else f" WHERE project_id = {int(project_id)}"
    return [
        f"DELETE FROM {STATES}{scope}",
        f"""INSERT INTO {STATES} (project_id, state, documents, gold)
        SELECT project_id, state, COUNT(*), SUM({_gold(SUMMARY)}) FROM {SUMMARY}{scope}
        GROUP BY project_id, state""",
    ]


def work_rebuild(project_id: int | None = None) -> list[str]:
    """Recount every annotator's row (of one project, or all) from the annotations; `submitted_changes`
    moves on by one, so a snapshot taken before the rebuild is not mistaken for current."""
    scope = "TRUE" if project_id is None else f"d.project_id = {int(project_id)}"
    sums = ", ".join(f"SUM({_is('a', status)})" for _, status in STATUS_COLUMNS)
    columns = ", ".join(column for column, _ in STATUS_COLUMNS)
    recounted = ", ".join(f"{column} = excluded.{column}" for column, _ in STATUS_COLUMNS)
    zeroed = ", ".join(f"{column} = 0" for column, _ in STATUS_COLUMNS)
    mine = "" if project_id is None else f" AND project_id = {int(project_id)}"
    return [
        f"""UPDATE {WORK} SET {zeroed}, submitted_changes = submitted_changes + 1 WHERE TRUE{mine}""",
        f"""INSERT INTO {WORK} (project_id, annotator_id, {columns}, submitted_changes)
        SELECT d.project_id, a.annotator_id, {sums}, 1 FROM annotator_annotation a
        JOIN annotator_document d ON d.id = a.document_id WHERE a.kind = '{ANNOTATION}' AND {scope}
        GROUP BY d.project_id, a.annotator_id
        ON CONFLICT (project_id, annotator_id) DO UPDATE SET {recounted}""",
    ]


def migration_step(parts: tuple[str, ...], rebuilt, dropped: tuple[str, ...]):
    """A migration's RunPython pair: install `parts` and run `rebuilt()` (the backfill); back: drop `dropped`."""

    def forward(apps, schema_editor):
        install(schema_editor.connection, parts=parts)
        with schema_editor.connection.cursor() as cursor:
            for statement in rebuilt():
                cursor.execute(statement)

    def backward(apps, schema_editor):
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            for name, table in TRIGGERS:
                if _part(name) in dropped:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if connection.vendor == "postgresql" else ""))

    return forward, backward
