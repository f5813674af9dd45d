"""The workflow never loses gold: review from the truth, stale copies, k = 1, viewing vs claiming, reopen, states."""

import pytest
from django.urls import reverse

from annotator import selectors, services, states
from annotator.selectors import dashboards
from annotator.spans import Span as Item
from annotator.models import Annotation, GoldRevision, Membership
from annotator.services import gold

from ..conftest import ARTICLE, make_document

MOSUL = ARTICLE.index("Mosul")
RAQQA = ARTICLE.index("Raqqa")
SYRIA = ARTICLE.index("Syria")
ISIS = ARTICLE.index("Islamic State")
GOLD = [Item(MOSUL, MOSUL + 5, "LOCATION"), Item(RAQQA, RAQQA + 5, "LOCATION"), Item(SYRIA, SYRIA + 5, "LOCATION")]


@pytest.fixture
def reviewer(make_user, project):
    return make_user("rita", role=Membership.Role.REVIEWER, project=project)


@pytest.fixture
def with_gold(document):
    gold.record(document, GOLD, how=gold.How.IMPORT)
    return document


def accept_all(review, user, *, choice=None, confirm=False):
    """Settle every disagreement (taking `choice`'s version, or keeping the copy) and accept."""
    state = services.review_state(review)
    for conflict in state.open_conflicts:
        services.resolve(review, user, version=review.version, conflict=conflict.key, choice=choice or "keep")
        review.refresh_from_db()
    return services.accept(review, user, version=review.version, confirm=confirm)


def test_opening_a_review_before_any_submission_keeps_the_gold(with_gold, reviewer):
    """The first wipe: an empty frozen copy accepted with Enter took 508 spans to 0."""
    review = services.start_review(with_gold, reviewer)
    assert sorted(Item(s.start, s.end, s.label.name) for s in review.spans.select_related("label")) == GOLD
    assert services.accept(review, reviewer, version=review.version) is None  # nothing changes: no revision
    assert gold.current_items(with_gold) == GOLD and GoldRevision.objects.count() == 1


def test_review_copy_made_early_is_stale_after_submissions(with_gold, reviewer, make_user, project, fake_extractor):
    """The second wipe: a copy frozen before the submissions was accepted over the gold."""
    project.annotators_per_document = 2
    project.save()
    review = services.start_review(with_gold, reviewer)
    services.predict_documents(project)
    for name in ("alice", "bob"):
        user = make_user(name, project=project)
        annotation = services.claim_document(with_gold, user)
        services.submit(annotation, user, version=annotation.version)
    review.refresh_from_db()
    state = services.review_state(review)
    assert state.stale
    with pytest.raises(services.EditRefused, match="rebuild"):
        services.accept(review, reviewer, version=review.version)
    assert gold.current_items(with_gold) == GOLD
    services.rebuild(review, reviewer, version=review.version)
    review.refresh_from_db()
    state = services.review_state(review)
    assert not state.stale and services.GOLD in state.sets
    # The gold and the annotators (the fake extractor's spans) disagree: shown like any other disagreement.
    assert state.conflicts and all(services.GOLD in dict(c.options) for c in state.conflicts)
    accept_all(review, reviewer, choice=services.GOLD)
    assert gold.current_items(with_gold) == GOLD


def test_accepting_a_removal_needs_confirmation(with_gold, reviewer):
    review = services.start_review(with_gold, reviewer)
    mosul = review.spans.get(start=MOSUL)
    services.delete_span(review, reviewer, version=review.version, span_id=mosul.pk)
    review.refresh_from_db()
    state = services.review_state(review)
    assert [i.start for i in state.changes.removed] == [MOSUL] and state.changes.summary() == "1 removed"
    with pytest.raises(services.EditRefused, match="confirm"):
        services.accept(review, reviewer, version=review.version)
    assert gold.current_items(with_gold) == GOLD
    written = services.accept(review, reviewer, version=review.version, confirm=True)
    assert (written.number, written.how, written.removed) == (2, "review", 1)
    assert gold.current_items(with_gold) == GOLD[1:]
    assert gold.items_at(with_gold, 1) == GOLD


def test_a_stale_version_is_told_before_anything_else(with_gold, reviewer):
    review = services.start_review(with_gold, reviewer)
    with pytest.raises(services.StaleEdit):
        services.accept(review, reviewer, version=review.version + 5)
    with pytest.raises(services.StaleEdit):
        services.resolve(review, reviewer, version=review.version + 5, conflict="nope", choice="neither")


def test_k1_start_annotating_skips_gold_documents_unless_asked(with_gold, project, annotator):
    fresh = make_document(project, text="Fighting spread to Deir ez-Zor.", order=2)
    assert services.claim_next(project, annotator) == fresh
    annotation = Annotation.objects.get(document=fresh, annotator=annotator)
    services.skip(annotation, annotator, version=annotation.version)
    assert services.claim_next(project, annotator) is None
    project.annotate_gold_documents = True
    project.save()
    assert services.claim_next(project, annotator) == with_gold


def test_k1_submission_on_gold_waits_for_review_unless_it_replaces(with_gold, project, annotator, fake_extractor):
    services.predict_documents(project)
    annotation = services.claim_document(with_gold, annotator)
    services.submit(annotation, annotator, version=annotation.version)
    assert gold.current_items(with_gold) == GOLD and GoldRevision.objects.count() == 1
    assert dashboards.state_counts(project)[states.WAITING] == 1
    project.submissions_replace_gold = True
    project.save()
    with_gold.project = project
    services.reopen(annotation, annotator, version=annotation.version)
    annotation.refresh_from_db()
    services.submit(annotation, annotator, version=annotation.version)
    revision = GoldRevision.objects.get(number=2)
    assert revision.how == "auto" and gold.items_at(with_gold, 1) == GOLD
    assert dashboards.state_counts(project)[states.REVIEWED] == 1


def test_reopen_is_explicit_and_undo_restores_submitted(document, project, annotator, fake_extractor):
    services.predict_documents(project)
    annotation = services.claim_document(document, annotator)
    services.submit(annotation, annotator, version=1)
    annotation.refresh_from_db()
    submitted_at = annotation.submitted_at
    span = annotation.spans.first()
    with pytest.raises(services.EditRefused, match="Reopen"):
        services.delete_span(annotation, annotator, version=annotation.version, span_id=span.pk)
    with pytest.raises(services.EditRefused, match="Reopen"):
        services.undo(annotation, annotator, version=annotation.version)
    services.reopen(annotation, annotator, version=annotation.version)
    annotation.refresh_from_db()
    assert annotation.status == "draft"
    services.undo(annotation, annotator, version=annotation.version)
    annotation.refresh_from_db()
    assert annotation.status == "submitted" and annotation.submitted_at == submitted_at


def test_viewing_is_not_claiming_over_http(client, document, project, annotator, make_user):
    client.force_login(annotator)
    page = reverse("annotate", args=[project.slug, document.pk])
    assert "Start annotating this document" in client.get(page).content.decode()
    assert not Annotation.objects.exists()
    client.post(reverse("claim", args=[project.slug, document.pk]))
    assert Annotation.objects.filter(annotator=annotator).count() == 1
    other = make_user("other", project=project)
    client.force_login(other)
    assert "already has its 1 annotator" in client.get(page).content.decode()
    client.post(reverse("claim", args=[project.slug, document.pk]))
    assert Annotation.objects.count() == 1


def test_gold_page_shows_history_diff_and_restores(client, with_gold, project, reviewer, annotator):
    gold.record(with_gold, GOLD[:1], how=gold.How.REVIEW, user=reviewer)
    client.force_login(reviewer)
    page = reverse("gold", args=[project.slug, with_gold.pk])
    content = client.get(page).content.decode()
    assert "Import" in content and "Review" in content and "rita" in content
    assert "From revision 1 to 2: 2 removed" in content and "Raqqa" in content
    response = client.post(reverse("gold_restore", args=[project.slug, with_gold.pk]), {"revision": 1})
    assert response.status_code == 302
    assert gold.current_items(with_gold) == GOLD and GoldRevision.objects.get(number=3).restored_from == 1
    client.force_login(annotator)  # annotators never see the gold
    assert client.get(page).status_code == 403
    assert client.post(reverse("gold_restore", args=[project.slug, with_gold.pk]), {"revision": 2}).status_code == 403
    assert GoldRevision.objects.count() == 3


@pytest.mark.django_db
def test_sql_states_match_the_rule_on_rows(project):
    """Every combination as real rows: the SQL state equals the Python rule."""
    from datetime import datetime, timedelta, timezone as tz

    from django.db.models import DateTimeField, IntegerField, Value

    document = make_document(project)
    now = datetime(2026, 1, 1, tzinfo=tz.utc)
    checked = 0
    for has_gold in (False, True):
        for submitted in range(4):
            for drafts in (0, 1):
                for after in (False, True):
                    if after and not submitted:
                        continue
                    reviewed = now if has_gold else None
                    last = (now + timedelta(seconds=1) if after else now - timedelta(seconds=1)) if submitted else None
                    got = (
                        project.documents.filter(pk=document.pk)
                        .annotate(
                            g=Value(reviewed, output_field=DateTimeField()),
                            s=Value(submitted, output_field=IntegerField()),
                            d=Value(drafts, output_field=IntegerField()),
                            ls=Value(last, output_field=DateTimeField()),
                        )
                        .annotate(state=states.state_expression(2, gold_at="g", submitted="s", drafts="d", last_submitted="ls", last_review="g"))
                        .values_list("state", flat=True)
                        .get()
                    )
                    expected = states.document_state(
                        has_gold=has_gold, submitted=submitted, drafts=drafts, needed=2,
                        submitted_after_review=has_gold and after,
                    )
                    assert got == expected, (has_gold, submitted, drafts, after)
                    checked += 1
    assert checked == 28


def test_api_reopen_and_accept_with_confirm(client, with_gold, project, reviewer, annotator, fake_extractor):
    services.predict_documents(project)
    base = f"/api/projects/{project.slug}"
    client.force_login(annotator)
    started = client.post(f"{base}/documents/{with_gold.pk}/annotation/").json()
    aid = started["id"]
    assert client.post(f"{base}/annotations/{aid}/submit/", {"version": 1}, content_type="application/json").json()["status"] == "submitted"
    refused = client.post(f"{base}/annotations/{aid}/spans/", {"version": 2, "start": 0, "end": 4, "label": "ACTOR"}, content_type="application/json")
    assert refused.status_code == 422 and "Reopen" in refused.json()["detail"]
    stale = client.post(f"{base}/annotations/{aid}/reopen/", {"version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert client.post(f"{base}/annotations/{aid}/reopen/", {"version": 2}, content_type="application/json").json() == {
        "version": 3, "status": "draft",
    }
    review = services.start_review(with_gold, reviewer)
    mosul = review.spans.get(start=MOSUL)
    services.delete_span(review, reviewer, version=review.version, span_id=mosul.pk)
    client.force_login(reviewer)
    url = f"{base}/annotations/{review.pk}/submit/"
    without = client.post(url, {"version": 2}, content_type="application/json")
    assert without.status_code == 422 and "confirm" in without.json()["detail"]
    assert gold.current_items(with_gold) == GOLD
    assert client.post(url, {"version": 2, "confirm": True}, content_type="application/json").json()["status"] == "submitted"
    assert gold.current_items(with_gold) == GOLD[1:]


def test_annotations_start_from_the_suggesting_version(document, project, annotator, make_user):
    """A newer version's predictions (e.g. a trained one not promoted) do not replace the suggestions."""
    from unittest import mock

    from annotator.models import ExtractorVersion, StoredPipeline
    from annotator.services import prediction

    from ..conftest import FakeExtractor

    with mock.patch.object(prediction, "get_extractor", lambda model=None: FakeExtractor("rules-1")):
        services.predict_documents(project)
    trained = FakeExtractor("trained-x", words={"Islamic State": "ACTOR"})
    with mock.patch.object(prediction, "get_extractor", lambda model=None: trained):
        services.predict_documents(project)
    version = ExtractorVersion.objects.get(version="trained-x")
    StoredPipeline.objects.create(extractor=version, data=b"", size=0, sha256="0", labels=[], merge="model_only")
    assert selectors.suggesting_extractor(project).version == "rules-1"
    annotation = services.claim_document(document, annotator)
    assert annotation.started_from.version == "rules-1" and annotation.spans.count() == 4
    project.suggestion_model = version
    project.save()
    document.project = project
    other = services.claim_document(make_document(project, text="Islamic State fighters left.", order=2), make_user("b", project=project))
    assert other.spans.count() == 0  # not predicted by the promoted version yet: its newest predictions (none here)
    assert selectors.suggesting_extractor(project).version == "trained-x"


# ---------------------------------------------------------------- a skipped annotation taken up again


def test_an_edit_to_a_skipped_annotation_takes_it_up_only_while_a_slot_is_free(project, document, make_user, annotator):
    """k = 1: Ann skips, Bob claims the slot, then Ann edits her skipped copy (an old tab). Taking it up
    again is a claim: it is refused, nothing of Ann's or Bob's changes, and the document keeps one annotator."""
    project.annotators_per_document = 1
    project.save()
    bob = make_user("bob", project=project)
    ann_copy = services.claim_document(document, annotator)
    services.skip(ann_copy, annotator, version=ann_copy.version)
    ann_copy.refresh_from_db()
    label = project.labels.get(name="LOCATION")

    bob_copy = services.claim_document(document, bob)
    services.add_span(bob_copy, bob, version=bob_copy.version, start=MOSUL, end=MOSUL + 5, label_id=label.pk)
    bob_version = Annotation.objects.get(pk=bob_copy.pk).version

    with pytest.raises(services.SlotTaken):
        services.add_span(ann_copy, annotator, version=ann_copy.version, start=RAQQA, end=RAQQA + 5, label_id=label.pk)
    ann_copy.refresh_from_db()
    assert ann_copy.status == Annotation.Status.SKIPPED and not ann_copy.spans.filter(start=RAQQA).exists()
    assert Annotation.objects.get(pk=bob_copy.pk).version == bob_version
    holding = Annotation.objects.filter(document=document, status__in=[Annotation.Status.DRAFT, Annotation.Status.SUBMITTED])
    assert list(holding.values_list("annotator__username", flat=True)) == ["bob"]


def test_a_skipped_annotation_is_taken_up_again_while_its_slot_is_free(project, document, annotator):
    project.annotators_per_document = 1
    project.save()
    copy = services.claim_document(document, annotator)
    services.skip(copy, annotator, version=copy.version)
    copy.refresh_from_db()
    label = project.labels.get(name="LOCATION")
    services.add_span(copy, annotator, version=copy.version, start=RAQQA, end=RAQQA + 5, label_id=label.pk)
    copy.refresh_from_db()
    assert copy.status == Annotation.Status.DRAFT and copy.spans.filter(start=RAQQA).exists()


def test_undoing_a_reopen_after_a_skip_needs_a_free_slot(project, document, make_user, annotator):
    """Submit, reopen, skip (the slot goes back), someone else claims it; undoing the reopen would make
    the skipped copy submitted again beside the new annotator's: refused, and the document keeps one."""
    project.annotators_per_document = 1
    project.review_single = True
    project.save()
    bob = make_user("bob", project=project)
    copy = services.claim_document(document, annotator)
    services.submit(copy, annotator, version=copy.version)
    copy.refresh_from_db()
    services.reopen(copy, annotator, version=copy.version)
    copy.refresh_from_db()
    services.skip(copy, annotator, version=copy.version)
    copy.refresh_from_db()
    services.claim_document(document, bob)
    with pytest.raises(services.SlotTaken):
        services.undo(copy, annotator, version=copy.version)
    copy.refresh_from_db()
    assert copy.status == Annotation.Status.SKIPPED
    holding = Annotation.objects.filter(document=document, status__in=[Annotation.Status.DRAFT, Annotation.Status.SUBMITTED])
    assert list(holding.values_list("annotator__username", flat=True)) == ["bob"]


def test_submitting_a_skipped_annotation_needs_a_free_slot(project, document, make_user, annotator):
    """Found by the stateful test on PostgreSQL: Ann skips (the slot goes back), Bob claims it, then Ann
    submits her skipped copy (Enter in an old tab). That is a claim too: refused, and the document keeps
    one annotator; with the slot free again, the same submit goes through."""
    project.annotators_per_document = 1
    project.review_single = True
    project.save()
    bob = make_user("bob", project=project)
    copy = services.claim_document(document, annotator)
    services.skip(copy, annotator, version=copy.version)
    copy.refresh_from_db()
    bob_copy = services.claim_document(document, bob)
    with pytest.raises(services.SlotTaken):
        services.submit(copy, annotator, version=copy.version)
    copy.refresh_from_db()
    assert copy.status == Annotation.Status.SKIPPED
    holding = Annotation.objects.filter(document=document, status__in=[Annotation.Status.DRAFT, Annotation.Status.SUBMITTED])
    assert list(holding.values_list("annotator__username", flat=True)) == ["bob"]
    bob_copy.refresh_from_db()
    services.skip(bob_copy, bob, version=bob_copy.version)
    services.submit(copy, annotator, version=copy.version)
    copy.refresh_from_db()
    assert copy.status == Annotation.Status.SUBMITTED
