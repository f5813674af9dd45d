"""Reads of documents: their workflow state, the document list (search, filters, keyset pages, a cheap
count) and the neighbours of a document in that list.

Every function here runs a fixed number of queries whatever the number of
documents: filters are EXISTS subqueries, pages are cut by a cursor on an
indexed sort key (no OFFSET), and what a page shows of its rows is read in
one more query for the page's ids.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl
from dataclasses import dataclass, field, replace

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    Field,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from .. import listing, states
from ..listing import ListQuery
from ..models.summaries import META_LIMIT
from .access import role_of
from ..models import (
    Annotation,
    AnnotationSpan,
    Assignment,
    Document,
    DocumentMeta,
    DocumentSummary,
    GoldSpan,
    Membership,
    PredictedSpan,
    Prediction,
    Project,
    StateCount,
)

ANNOTATION = Annotation.Kind.ANNOTATION
SUBMITTED = Annotation.Status.SUBMITTED
# Up to this many rows a filtered list is counted exactly; past it the count is an estimate.
EXACT_COUNT_LIMIT = 1_000


@dataclass
class DocumentRow:
    document: Document
    status: str | None  # the user's own annotation status
    span_count: int | None
    has_gold: bool
    submitted: int = 0  # annotations submitted, of k
    drafts: int = 0
    state: str = states.UNASSIGNED  # annotator.states
    annotators: list[str] = field(default_factory=list)  # who has an annotation (overseers only)
    assigned: list[str] = field(default_factory=list)  # who a manager handed it to (overseers only)

    @property
    def state_label(self) -> str:
        return states.LABELS[self.state]


def with_states(project: Project, documents):
    """`documents` annotated with `submitted`, `drafts`, `last_submitted` and their `state` (annotator.states).

    Read from the document's summary (models.DocumentSummary, kept by
    triggers): a one-to-one join, so the state can be filtered and grouped
    on in the database without counting any document's annotations.
    """
    return documents.annotate(
        submitted=F("summary__submitted"),
        drafts=F("summary__drafts"),
        last_submitted=F("summary__last_submitted"),
        state=F("summary__state"),
    )


def in_state(project: Project, *names: str):
    """The ids of the project's documents in one of the states `names`: a range of the summary's index."""
    return DocumentSummary.objects.filter(project=project, state__in=names).values("document_id")


def row_of(d, status=None, spans=None) -> DocumentRow:
    """A DocumentRow of a document annotated by with_states."""
    return DocumentRow(d, status, spans, d.gold_at is not None, d.submitted, d.drafts, d.state)


def neighbours(document: Document) -> tuple[int, int]:
    """(position, total) of the document in its project's work order, 1-based (two index-only counts)."""
    documents = Document.objects.filter(project_id=document.project_id)
    before = documents.filter(Q(order__lt=document.order) | Q(order=document.order, id__lt=document.id)).count()
    return before + 1, documents.count()


# ---------------------------------------------------------------- search


def search(documents, text: str):
    """`documents` whose title or text holds every word of `text`, accents or not (see migration 0010).

    SQLite asks the FTS5 table (each word quoted, so the user's text is never
    FTS5 syntax); PostgreSQL the tsvectors with their GIN index, the words
    folded by unaccent as the stored vectors were.
    """
    words = re.findall(r"\w+", text)[:20]
    if not words:
        return documents
    if connection.vendor == "postgresql":
        sql = (
            "SELECT document_id FROM annotator_document_search "
            "WHERE vector @@ plainto_tsquery('simple', unaccent(%s))"
        )
        return documents.filter(id__in=RawSQL(sql, [" ".join(words)]))
    match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    sql = "SELECT rowid FROM annotator_document_fts WHERE annotator_document_fts MATCH %s"
    return documents.filter(id__in=RawSQL(sql, [match]))


# ---------------------------------------------------------------- filters


def _mine(user):
    return Annotation.objects.filter(document=OuterRef("pk"), annotator=user, kind=ANNOTATION)


def disagreeing(project: Project):
    """The ids of the project's documents whose submitted annotations disagree: some span (start, end,
    label) is in fewer of them than there are. Kept in the document's summary by the triggers
    (annotator.db.summaries) and read from a partial index of those documents."""
    return DocumentSummary.objects.filter(project=project, disagreement=True).values("document_id")


def _with_meta(project: Project, documents, number: int, key: str, value: str):
    """Documents whose metadata `key` reads `value`: the indexed rows of models.DocumentMeta, or the JSON
    itself for a key or value too long to be kept there."""
    if len(key) <= META_LIMIT and len(value) <= META_LIMIT:
        return documents.filter(id__in=DocumentMeta.objects.filter(project=project, key=key, value=value).values("document_id"))
    alias = {f"meta_{number}": Cast(KeyTextTransform(key, "meta"), CharField())}
    return documents.alias(**alias).filter(**{f"meta_{number}": value})


def _label_present(name: str, layer: str):
    gold = Exists(GoldSpan.objects.filter(document=OuterRef("pk"), label__name=name))
    if layer == "gold":
        return gold
    annotated = AnnotationSpan.objects.filter(
        annotation__document=OuterRef("pk"), annotation__kind=ANNOTATION, label__name=name
    )
    predicted = PredictedSpan.objects.filter(prediction__document=OuterRef("pk"), label__name=name)
    return gold | Exists(annotated) | Exists(predicted)


def _overseer_filters(project: Project, documents, query: ListQuery):
    """The filters only managers and reviewers have (they tell about others' work and the gold)."""
    if query.state:
        documents = documents.filter(id__in=in_state(project, query.state))
    if query.annotator:
        # IN lists, not EXISTS per document: counting starts from the person's few documents.
        worked = Annotation.objects.filter(kind=ANNOTATION, annotator__username=query.annotator).values("document_id")
        handed = Assignment.objects.filter(user__username=query.annotator).values("document_id")
        documents = documents.filter(Q(id__in=worked) | Q(id__in=handed))
    if query.label:
        documents = documents.filter(_label_present(query.label, query.label_in))
    if query.gold:
        documents = documents.filter(gold_at__isnull=query.gold == "no")
    if query.disagreement:
        documents = documents.filter(id__in=disagreeing(project))
    return documents


def listed(project: Project, user, role: str | None, query: ListQuery):
    """The project's documents the user may list, filtered by `query` (not sorted, not cut).

    Annotators list only the documents they have an annotation of (they
    work blind and get new ones through “Start annotating”), and none of
    the filters that would tell them about the gold or others' work.
    """
    overseer = role in (Membership.Role.MANAGER, Membership.Role.REVIEWER)
    documents = project.documents.defer("text", "tokens", "meta")
    if overseer:
        documents = with_states(project, documents)
    else:
        documents = documents.filter(Exists(_mine(user)))
    if query.q:
        documents = search(documents, query.q)
    if query.ids:
        documents = documents.filter(id__in=query.ids)
    if query.status:
        mine = _mine(user)
        documents = documents.filter(~Exists(mine) if query.status == "new" else Exists(mine.filter(status=query.status)))
    if query.extractor:
        documents = documents.filter(Exists(Prediction.objects.filter(document=OuterRef("pk"), extractor__version=query.extractor)))
    if query.umin is not None:
        documents = documents.filter(uncertainty__gte=query.umin)
    if query.umax is not None:
        documents = documents.filter(uncertainty__lte=query.umax)
    if query.batch is not None:
        documents = documents.filter(batch_id=query.batch)
    for number, (key, value) in enumerate(query.meta):
        documents = _with_meta(project, documents, number, key, value)
    if overseer:
        documents = _overseer_filters(project, documents, query)
    return documents


# ---------------------------------------------------------------- keyset pages


class _Row(Func):
    """A row value: (a, b) — compared whole, so one index range serves a keyset page (SQLite ≥ 3.15, PostgreSQL)."""

    template = "(%(expressions)s)"
    output_field = Field()


class _RowCompare(Func):
    template = "%(expressions)s"
    output_field = BooleanField()

    def __init__(self, left, right, operator: str):
        super().__init__(left, right)
        self.arg_joiner = f" {operator} "


def _key_expressions(sort: str) -> list:
    columns = {"updated": Coalesce("gold_at", "created_at"), "order": F("order"), "uncertainty": F("uncertainty"), "id": F("id")}
    return [columns[name] for name, _ in listing.SORTS[sort]]


def _value(value, name: str):
    kinds = {"updated": DateTimeField(), "uncertainty": FloatField()}
    return Value(value, output_field=kinds.get(name, IntegerField()))


def _beyond(sort: str, key: tuple, forward: bool):
    """Rows after `key` in the sort's order (forward) or before it."""
    columns = listing.SORTS[sort]
    descending = columns[0][1]  # every sort runs its columns one way
    operator = ">" if descending != forward else "<"
    values = [_value(v, name) for v, (name, _) in zip(key, columns)]
    return _RowCompare(_Row(*_key_expressions(sort)), _Row(*values), operator)


def _ordering(sort: str, forward: bool) -> list:
    order = []
    for expression, (_, descending) in zip(_key_expressions(sort), listing.SORTS[sort]):
        order.append(expression.desc() if descending == forward else expression.asc())
    return order


def sort_key(document, sort: str) -> tuple:
    """The key of a document (annotated with `updated` when sorted so) in a sort."""
    return tuple(getattr(document, name) for name, _ in listing.SORTS[sort])


def _with_key(documents, sort: str):
    return documents.annotate(updated=Coalesce("gold_at", "created_at")) if sort == "updated" else documents


@dataclass
class Total:
    """How many documents the list holds: exact, or an estimate said as such in the page."""

    n: int
    exact: bool
    how: str = ""  # how an estimate was made


@dataclass
class Page:
    rows: list[DocumentRow]
    query: ListQuery
    next: ListQuery | None
    previous: ListQuery | None
    total: Total


def page_of(project: Project, user, role: str | None, query: ListQuery) -> Page:
    """One page of the list: at most `query.size` rows after (or before) the cursor, and the links on.

    Queries: the rows, who works on them (overseers), the count; whatever
    the page's depth or the project's size.
    """
    documents = _with_key(listed(project, user, role, query), query.sort)
    forward = query.before is None
    cursor = query.after if forward else query.before
    if cursor is not None:
        documents = documents.filter(_beyond(query.sort, cursor, forward))
    mine = _mine(user)
    documents = documents.annotate(
        my_status=Subquery(mine.values("status")[:1]),
        my_spans=Subquery(mine.annotate(n=Count("spans")).values("n")[:1]),
    )
    found = list(documents.order_by(*_ordering(query.sort, forward))[: query.size + 1])
    more = len(found) > query.size
    found = found[: query.size]
    if not forward:
        found.reverse()
    overseer = role in (Membership.Role.MANAGER, Membership.Role.REVIEWER)
    rows = [_page_row(d, overseer) for d in found]
    if overseer and rows:
        _add_people(rows)
    has_next = more if forward else bool(found)
    has_previous = (cursor is not None) if forward else more
    return Page(
        rows=rows,
        query=query,
        next=replace(query, after=sort_key(found[-1], query.sort), before=None) if has_next and found else None,
        previous=replace(query, before=sort_key(found[0], query.sort), after=None) if has_previous and found else None,
        total=count_of(project, user, role, query),
    )


def _page_row(d, overseer: bool) -> DocumentRow:
    if overseer:
        return row_of(d, d.my_status, d.my_spans)
    return DocumentRow(d, d.my_status, d.my_spans, False)


def _add_people(rows: list[DocumentRow]) -> None:
    """Fill in who annotates and who is assigned each row: two queries for the page's ids."""
    by_id = {row.document.pk: row for row in rows}
    annotations = (
        Annotation.objects.filter(document_id__in=by_id, kind=ANNOTATION)
        .order_by("annotator__username")
        .values_list("document_id", "annotator__username")
    )
    for document_id, username in annotations:
        by_id[document_id].annotators.append(username)
    assignments = (
        Assignment.objects.filter(document_id__in=by_id).order_by("user__username").values_list("document_id", "user__username")
    )
    for document_id, username in assignments:
        by_id[document_id].assigned.append(username)


def count_of(project: Project, user, role: str | None, query: ListQuery) -> Total:
    """The list's size, cheaply and in a fixed number of queries for a given filter.

    An overseer's list with no filter, or with a state filter alone, is
    counted exactly from the documents per state (models.StateCount, kept by
    triggers: a row a state). Otherwise the count runs over a LIMIT: exact
    up to EXACT_COUNT_LIMIT rows; past it, PostgreSQL gives its planner's
    estimate (EXPLAIN, asked every time so the number of queries does not
    depend on the data) and SQLite, which keeps no estimate, says "more than".
    """
    if role in (Membership.Role.MANAGER, Membership.Role.REVIEWER) and not replace(query, state="").filtered:
        return Total(kept_totals(project, query.state)["total"], True)
    documents = listed(project, user, role, query)
    estimate = _planner_estimate(documents) if connection.vendor == "postgresql" else None
    n = documents.order_by().values("id")[: EXACT_COUNT_LIMIT + 1].count()
    if n <= EXACT_COUNT_LIMIT:
        return Total(n, True)
    if estimate is not None:
        return Total(max(estimate, n), False, "the database planner's estimate")
    return Total(EXACT_COUNT_LIMIT, False, "more than")


def kept_totals(project: Project, state: str = "") -> dict[str, int]:
    """How many documents the project has (in `state`, if given) and how many of them have gold: one read
    of models.StateCount, which triggers keep (a row a state), so it costs the same at any size."""
    per_state = StateCount.objects.filter(project=project)
    if state:
        per_state = per_state.filter(state=state)
    row = per_state.aggregate(total=Sum("documents"), gold=Sum("gold"))
    return {"total": row["total"] or 0, "gold": row["gold"] or 0}


def _planner_estimate(documents) -> int:
    sql, params = documents.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def selected_ids(project: Project, user, role: str | None, query: ListQuery):
    """The ids of every document the list holds (all pages): a subquery for set-based bulk actions."""
    return listed(project, user, role, query).order_by().values("id")


def sample(documents, n: int, seed: int):
    """The ids of `n` of `documents` drawn at random with `seed`: the same seed, filter and documents give
    the same sample, on SQLite and PostgreSQL alike (integer arithmetic on the id, no RANDOM())."""
    draw = (F("id") + (seed % 1_000_000_000)) * 2654435761 % 4294967291
    return documents.order_by().annotate(draw=draw).order_by("draw", "id").values("id")[: max(0, n)]


def selection(project: Project, user, text: str):
    """The ids a stored selection names (a background run's): the list's query string, plus
    `sample=N&seed=S` for a random sample of it; read as `user` may see it, when the run works."""
    params = dict(parse_qsl(text.lstrip("?"))[:60])
    role = role_of(user, project) if user is not None else None
    chosen = selected_ids(project, user, role, listing.parse(params, states=states.ORDER))
    if params.get("sample", "").isdigit():
        seed = int(params["seed"]) if params.get("seed", "").lstrip("-").isdigit() else 0
        return sample(chosen, int(params["sample"]), seed)
    return chosen


def adjacent(project: Project, user, role: str | None, document: Document, direction: int, query: ListQuery,
             *, among: str = "documents") -> Document | None:
    """The document before (direction -1) or after (+1) `document` in the list `query` describes.

    among="review": within the documents waiting for review or reviewed. One
    query for the document's key (sorted by `updated` only) and one for the
    neighbour, cut at one row on the sort's index.
    """
    sort = query.sort
    if sort == "updated":
        document = _with_key(Document.objects.filter(pk=document.pk), sort).only("id", "gold_at", "created_at").first()
    key = sort_key(document, sort)
    documents = _with_key(listed(project, user, role, query), sort)
    if among == "review":  # overseers only: the waiting and reviewed documents
        documents = documents.filter(id__in=in_state(project, states.WAITING, states.REVIEWED))
    forward = direction > 0
    return documents.filter(_beyond(sort, key, forward)).order_by(*_ordering(sort, forward)).only("id").first()
