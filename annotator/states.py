"""Where a document stands in the workflow: the one definition every page, count, filter, API field and
command uses.

    unassigned ──claim──▶ in progress ──submit──▶ submitted n of k ──(k-th)──▶ waiting for review
                                                                                     │ accept
        waiting for review ◀──a submission after the last review── reviewed ◀───────┘

A document is
- reviewed: it has gold, and nothing was submitted after the last review
  decision (a gold revision, or a reviewer accepting the gold unchanged);
- waiting for review: it has gold and a submission arrived after the last
  review decision, or it has no gold and enough submissions to review
  (k when the project reviews, else one: with k = 1 and no review step a
  submission becomes the gold at once, unless the document already had gold);
- submitted n of k: some submissions, not yet enough;
- in progress: drafts only;
- unassigned: nobody has it.

`document_state` is the rule in plain Python; `state_expression` is the same
rule as one SQL expression over annotated counts. What the pages count and
filter is the state stored in each document's summary, which database
triggers work out with the same rule in SQL (annotator.db.summaries);
tests check that each agrees with `document_state`.
"""

from __future__ import annotations

from django.db.models import Case, CharField, F, Q, Value, When

from .roles import DocumentState

# The states are the members of roles.DocumentState (one spelling everywhere).
UNASSIGNED = DocumentState.UNASSIGNED
IN_PROGRESS = DocumentState.IN_PROGRESS
SUBMITTED = DocumentState.SUBMITTED
WAITING = DocumentState.WAITING
REVIEWED = DocumentState.REVIEWED

ORDER = tuple(DocumentState)
LABELS = dict(DocumentState.choices)


def needed_for_review(k: int, needs_review: bool) -> int:
    """How many submissions make a document without gold ready for review."""
    return k if needs_review else 1


def document_state(*, has_gold: bool, submitted: int, drafts: int, needed: int, submitted_after_review: bool) -> str:
    """The state of one document from its counts (see the module's docstring)."""
    if has_gold:
        return WAITING if submitted_after_review else REVIEWED
    if submitted >= needed:
        return WAITING
    if submitted:
        return SUBMITTED
    return IN_PROGRESS if drafts else UNASSIGNED


def state_expression(needed: int, *, gold_at="gold_at", submitted="submitted", drafts="drafts",
                     last_submitted="last_submitted", last_review="reviewed_at"):
    """`document_state` as a SQL CASE over a queryset annotated with the named counts and times.

    `last_review` is the latest review decision (Document.reviewed_at: a
    gold revision or a confirmation of the gold unchanged), `last_submitted`
    the latest submission's time.
    """
    after_review = Q(**{f"{last_submitted}__isnull": False}) & (
        Q(**{f"{last_review}__isnull": True}) | Q(**{f"{last_submitted}__gt": F(last_review)})
    )
    has_gold = Q(**{f"{gold_at}__isnull": False})
    return Case(
        When(has_gold & after_review, then=Value(WAITING)),
        When(has_gold, then=Value(REVIEWED)),
        When(Q(**{f"{submitted}__gte": needed}), then=Value(WAITING)),
        When(Q(**{f"{submitted}__gt": 0}), then=Value(SUBMITTED)),
        When(Q(**{f"{drafts}__gt": 0}), then=Value(IN_PROGRESS)),
        default=Value(UNASSIGNED),
        output_field=CharField(),
    )
