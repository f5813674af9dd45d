"""The whole workflow at random (Hypothesis stateful testing): the gold is never lost.

Several annotators and a reviewer import gold, claim, open documents by id,
edit, submit, reopen, skip, undo, open reviews, resolve, rebuild, accept,
restore, re-import and re-predict, with k from 1 to 3 and the project's
k = 1 settings either way. After every step:
- no gold revision was changed or removed;
- each document's current gold equals the replay of its revisions, and a
  document without revisions has no gold;
- no document has more than k annotations (skipped ones give their slot back);
- every count of the progress page equals a recount from the rows;
- no submitted span of any annotator is lost: a submitted annotation keeps
  exactly the spans it was submitted with until someone reopens it.

Runs on SQLite, and on PostgreSQL with DATABASE_URL (make test runs both).
"""

from __future__ import annotations

import itertools
from unittest import mock

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from annotator import selectors, services, states
from annotator.selectors import dashboards
from annotator.spans import Span as Item
from annotator.formats import Record, Span
from annotator.models import Annotation, Document, GoldChange, GoldRevision, Membership
from annotator.services import gold, prediction

from ..conftest import ARTICLE, FakeExtractor, make_document

WORDS = {"Iraqi forces": "ACTOR", "Islamic State": "ACTOR", "Mosul": "LOCATION", "Raqqa": "LOCATION", "Syria": "LOCATION"}
LABELS = ["ACTOR", "LOCATION", "QUANTITY"]
TEXTS = [f"Report {n}. {ARTICLE}" for n in range(2)]  # few documents: steps meet on the same one often
_runs = itertools.count()


def candidates(text: str) -> list[tuple[int, int]]:
    """Places where a span may go in `text` (they never overlap one another)."""
    return sorted((text.index(word), text.index(word) + len(word)) for word in WORDS)


class Workflow(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.run = next(_runs)
        self.revisions: dict[int, tuple] = {}  # id -> what the revision was when first seen
        self.submitted: dict[int, set] = {}  # annotation id -> its spans when submitted
        self.extractors = itertools.count(2)

    @initialize(k=st.integers(1, 3), review_single=st.booleans(), gold_docs=st.booleans(), replace=st.booleans())
    def setup(self, k, review_single, gold_docs, replace):
        from django.contrib.auth import get_user_model

        self.project = services.ensure_project(f"wf{self.run}", name=f"Workflow {self.run}")
        self.project.annotators_per_document = k
        self.project.review_single = review_single
        self.project.annotate_gold_documents = gold_docs
        self.project.submissions_replace_gold = replace
        self.project.save()
        users = get_user_model().objects
        self.annotators = []
        for name in ("a", "b", "c", "d"):
            user = users.create_user(f"{name}{self.run}", password="pw-for-tests-123")
            Membership.objects.create(project=self.project, user=user, role=Membership.Role.ANNOTATOR)
            self.annotators.append(user)
        self.reviewer = users.create_user(f"r{self.run}", password="pw-for-tests-123")
        Membership.objects.create(project=self.project, user=self.reviewer, role=Membership.Role.REVIEWER)
        self.documents = [make_document(self.project, text=text, order=i) for i, text in enumerate(TEXTS)]
        services.predict_documents(self.project)

    # ------------------------------------------------------------ helpers

    def document(self, index: int) -> Document:
        document = Document.objects.select_related("project").get(pk=self.documents[index % len(self.documents)].pk)
        return document

    def annotation(self, user_index: int, doc_index: int, kind=Annotation.Kind.ANNOTATION):
        user = self.reviewer if kind == Annotation.Kind.REVIEW else self.annotators[user_index % len(self.annotators)]
        annotation = selectors.own_annotation(self.document(doc_index), user, kind)
        return user, annotation

    def attempt(self, step, *args, **kwargs):
        """Run a workflow step; the refusals a person can meet are fine, anything else is a bug."""
        try:
            return step(*args, **kwargs)
        except (services.EditRefused, services.StaleEdit, services.ClaimRefused, services.SlotTaken, gold.GoldRefused):
            return None

    # ------------------------------------------------------------ rules

    @rule(doc=st.integers(0, 1), picks=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(LABELS)), max_size=5))
    def import_gold(self, doc, picks):
        """Import (or re-import) a document's gold from a file-like record."""
        text = TEXTS[doc]
        places = candidates(text)
        chosen = {places[i]: label for i, label in picks}
        spans = [Span(s, e, label) for (s, e), label in sorted(chosen.items())]
        services.import_records(self.project, [Record(id=f"d{doc}", text=text, spans=spans)])

    @rule(user=st.integers(0, 3))
    def claim_next(self, user):
        services.claim_next(self.project, self.annotators[user])

    @rule(user=st.integers(0, 3), doc=st.integers(0, 1))
    def open_by_id(self, user, doc):
        """The Start button on a document opened by id."""
        self.attempt(services.claim_document, self.document(doc), self.annotators[user])

    @rule(user=st.integers(0, 3), doc=st.integers(0, 1), place=st.integers(0, 4), label=st.sampled_from(LABELS), delete=st.booleans())
    def edit(self, user, doc, place, label, delete):
        person, annotation = self.annotation(user, doc)
        if annotation is None:
            return
        start, end = candidates(annotation.document.text)[place]
        existing = annotation.spans.filter(start=start, end=end).first()
        label_id = self.project.labels.get(name=label).pk
        if delete and existing is not None:
            self.attempt(services.delete_span, annotation, person, version=annotation.version, span_id=existing.pk)
        elif existing is not None:
            self.attempt(services.change_span, annotation, person, version=annotation.version, span_id=existing.pk, label_id=label_id)
        else:
            self.attempt(services.add_span, annotation, person, version=annotation.version, start=start, end=end, label_id=label_id)

    @rule(user=st.integers(0, 3), doc=st.integers(0, 1), stale=st.booleans())
    def submit(self, user, doc, stale):
        person, annotation = self.annotation(user, doc)
        if annotation is None:
            return
        version = annotation.version - 1 if stale else annotation.version
        if self.attempt(services.submit, annotation, person, version=version) is None:
            annotation.refresh_from_db()
            if annotation.status == Annotation.Status.SUBMITTED and annotation.pk not in self.submitted:
                self.submitted[annotation.pk] = self.spans_of(annotation)

    @rule(user=st.integers(0, 3), doc=st.integers(0, 1))
    def reopen(self, user, doc):
        person, annotation = self.annotation(user, doc)
        if annotation is None:
            return
        self.attempt(services.reopen, annotation, person, version=annotation.version)
        annotation.refresh_from_db()
        if annotation.status != Annotation.Status.SUBMITTED:
            self.submitted.pop(annotation.pk, None)  # reopened on purpose: its owner may change it now

    @rule(user=st.integers(0, 3), doc=st.integers(0, 1))
    def undo(self, user, doc):
        person, annotation = self.annotation(user, doc)
        if annotation is None:
            return
        self.attempt(services.undo, annotation, person, version=annotation.version)
        annotation.refresh_from_db()
        if annotation.status == Annotation.Status.SUBMITTED and annotation.pk not in self.submitted:
            self.submitted[annotation.pk] = self.spans_of(annotation)  # an undone reopen: submitted again

    @rule(user=st.integers(0, 3), doc=st.integers(0, 1))
    def skip(self, user, doc):
        person, annotation = self.annotation(user, doc)
        if annotation is None:
            return
        self.attempt(services.skip, annotation, person, version=annotation.version)

    @rule(doc=st.integers(0, 1))
    def open_review(self, doc):
        services.start_review(self.document(doc), self.reviewer)

    @rule(doc=st.integers(0, 1), pick=st.integers(0, 10))
    def resolve(self, doc, pick):
        _, review = self.annotation(0, doc, Annotation.Kind.REVIEW)
        if review is None:
            return
        state = services.review_state(review)
        if not state.conflicts:
            return
        conflict = state.conflicts[pick % len(state.conflicts)]
        choices = [name for name, _ in conflict.options] + [services.review.KEEP, services.review.NEITHER]
        self.attempt(
            services.resolve, review, self.reviewer, version=review.version, conflict=conflict.key, choice=choices[pick % len(choices)]
        )

    @rule(doc=st.integers(0, 1))
    def rebuild(self, doc):
        _, review = self.annotation(0, doc, Annotation.Kind.REVIEW)
        if review is not None:
            self.attempt(services.rebuild, review, self.reviewer, version=review.version)

    @rule(doc=st.integers(0, 1), confirm=st.booleans())
    def accept(self, doc, confirm):
        _, review = self.annotation(0, doc, Annotation.Kind.REVIEW)
        if review is not None:
            self.attempt(services.accept, review, self.reviewer, version=review.version, confirm=confirm)

    @rule(doc=st.integers(0, 1), back=st.integers(1, 5))
    def restore(self, doc, back):
        document = self.document(doc)
        numbers = [r.number for r in gold.history(document)]
        if numbers:
            self.attempt(gold.restore, document, numbers[min(back, len(numbers)) - 1], self.reviewer)

    @rule()
    def repredict(self):
        """A new extractor version predicts again: predictions never touch annotations or gold."""
        version = f"fake-extractor-{next(self.extractors)}"
        with mock.patch.object(prediction, "get_extractor", lambda model=None: FakeExtractor(version)):
            services.predict_documents(self.project)

    # ------------------------------------------------------------ invariants

    def spans_of(self, annotation) -> set:
        return {(s.start, s.end, s.label_id) for s in annotation.spans.all()}

    @invariant()
    def revisions_are_never_changed(self):
        if not hasattr(self, "project"):
            return
        seen = {}
        for revision in GoldRevision.objects.filter(document__project=self.project):
            changes = tuple(revision.changes.order_by("id").values_list("op", "start", "end", "label_id"))
            seen[revision.pk] = (revision.document_id, revision.number, revision.how, revision.created_at, changes)
        for pk, before in self.revisions.items():
            assert seen.get(pk) == before, f"gold revision {pk} changed or vanished"
        self.revisions = seen

    @invariant()
    def current_gold_is_the_last_revision(self):
        if not hasattr(self, "project"):
            return
        for document in Document.objects.filter(project=self.project):
            last = document.gold_revisions.order_by("-number").first()
            if last is None:
                assert document.gold_at is None and not document.gold_spans.exists()
            else:
                assert gold.current_items(document) == gold.items_at(document, last.number)
                assert document.gold_at == last.created_at and last.spans == document.gold_spans.count()
        assert not GoldChange.objects.filter(revision__document__project=self.project, end__lte=0).exists()

    @invariant()
    def never_more_than_k(self):
        if not hasattr(self, "project"):
            return
        k = self.project.annotators_per_document
        for document in self.documents:
            held = Annotation.objects.filter(document=document, kind=Annotation.Kind.ANNOTATION).exclude(
                status=Annotation.Status.SKIPPED
            )
            assert held.count() <= k, f"document {document.pk} has {held.count()} annotations, k = {k}"

    @invariant()
    def progress_counts_match_the_rows(self):
        if not hasattr(self, "project"):
            return
        needed = states.needed_for_review(self.project.annotators_per_document, self.project.needs_review)
        recount = dict.fromkeys(states.ORDER, 0)
        for document in Document.objects.filter(project=self.project):
            annotations = list(document.annotations.filter(kind=Annotation.Kind.ANNOTATION))
            submitted = [a for a in annotations if a.status == Annotation.Status.SUBMITTED]
            last = max((a.submitted_at for a in submitted), default=None)
            state = states.document_state(
                has_gold=document.gold_at is not None,
                submitted=len(submitted),
                drafts=sum(a.status == Annotation.Status.DRAFT for a in annotations),
                needed=needed,
                submitted_after_review=last is not None and (document.reviewed_at is None or last > document.reviewed_at),
            )
            recount[state] += 1
        assert dashboards.state_counts(self.project) == recount
        board = dashboards.dashboard(self.project)
        assert board.states == {states.LABELS[key]: n for key, n in recount.items()}
        queue = selectors.review_queue(self.project)  # a page of 50: the walk's few documents fit on one
        waiting = [row.document.pk for row, waits in queue.rows if waits]
        assert len(waiting) == queue.waiting == recount[states.WAITING]
        assert queue.reviewed == recount[states.REVIEWED]

    @invariant()
    def submitted_spans_are_kept(self):
        if not hasattr(self, "project"):
            return
        for pk, spans in self.submitted.items():
            annotation = Annotation.objects.get(pk=pk)
            assert annotation.status == Annotation.Status.SUBMITTED, f"annotation {pk} left submitted without a reopen"
            assert self.spans_of(annotation) == spans, f"the submitted spans of annotation {pk} changed"


@pytest.mark.django_db
def test_the_workflow_never_loses_gold_or_work(db):
    with mock.patch.object(prediction, "get_extractor", lambda model=None: FakeExtractor()):
        run_state_machine_as_test(
            Workflow,
            settings=settings(
                max_examples=30,
                stateful_step_count=40,
                # No shrinking: a failure is reported as found (shrinking a workflow can take many minutes).
                phases=[Phase.explicit, Phase.reuse, Phase.generate],
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                database=None,
            ),
        )
