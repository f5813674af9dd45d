"""Teams: assignment of k annotators, claims that time out, review into gold, roles."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotator import services
from annotator.models import Annotation, Document, GoldSpan, Project

from .conftest import ARTICLE, make_document


@pytest.fixture
def docs(project, fake_extractor):
    documents = [make_document(project, text=f"Document {i}: Iraqi forces entered Mosul.", order=i) for i in range(3)]
    services.predict_documents(project)
    return documents


def test_each_document_gets_k_annotators_then_the_next(project, docs, make_user):
    project.annotators_per_document = 2
    project.save()
    alice, bob, carol = (make_user(n, project=project) for n in ("alice", "bob", "carol"))
    assert services.claim_next(project, alice) == docs[0]
    assert services.claim_next(project, alice) == docs[0]  # her own draft comes back first
    assert services.claim_next(project, bob) == docs[0]
    assert services.claim_next(project, carol) == docs[1]  # docs[0] has its two annotators


def test_no_document_twice_and_none_when_done(project, docs, make_user):
    alice = make_user("alice", project=project)
    seen = []
    for _ in docs:
        document = services.claim_next(project, alice)
        annotation = services.start_annotation(document, alice)
        services.submit(annotation, alice, version=annotation.version)
        seen.append(document)
    assert seen == docs and services.claim_next(project, alice) is None


def test_untouched_claim_goes_back_to_the_pool(project, docs, make_user):
    alice, bob = make_user("alice", project=project), make_user("bob", project=project)
    assert services.claim_next(project, alice) == docs[0]
    assert services.claim_next(project, bob) == docs[1]
    Annotation.objects.filter(annotator=alice).update(updated_at=timezone.now() - timedelta(minutes=61))
    carol = make_user("carol", project=project)
    assert services.claim_next(project, carol) == docs[0]
    assert not Annotation.objects.filter(annotator=alice).exists()  # the stale claim was released


def test_seeded_random_and_uncertain_orders(project, docs, make_user):
    project.work_order = Project.WorkOrder.RANDOM
    project.random_seed = 7
    project.save()
    first = services.claim_next(project, make_user("a1", project=project))
    services.reset_work_order(project)
    keys = list(Document.objects.order_by("shuffle_key").values_list("id", flat=True))
    assert first.pk == keys[0]
    project.random_seed = 8
    project.save()
    services.reset_work_order(project)
    assert len(set(Document.objects.values_list("shuffle_key", flat=True))) == 3

    project.work_order = Project.WorkOrder.UNCERTAIN
    project.save()
    unsure = next(d for d in reversed(docs) if d != first)  # a document still open, not first in import order
    Document.objects.filter(pk=unsure.pk).update(uncertainty=0.95)
    assert services.claim_next(project, make_user("a2", project=project)) == unsure


# ---------------------------------------------------------------- review


@pytest.fixture
def two_annotations(project, make_user, fake_extractor):
    """alice and bob annotate ARTICLE differently; both submit."""
    project.annotators_per_document = 2
    project.save()
    document = make_document(project)
    services.predict_documents(project)
    alice, bob = make_user("alice", project=project), make_user("bob", project=project)
    actor = project.labels.get(name="ACTOR").pk
    for user in (alice, bob):
        annotation = services.start_annotation(document, user)
        version = annotation.version
        if user is bob:  # bob calls Syria a LOCATION and deletes Raqqa
            syria = annotation.spans.get(start=ARTICLE.index("Syria"))
            services.change_span(annotation, bob, version=version, span_id=syria.pk, label_id=project.labels.get(name="LOCATION").pk)
            raqqa = annotation.spans.get(start=ARTICLE.index("Raqqa"))
            services.delete_span(annotation, bob, version=version + 1, span_id=raqqa.pk)
            version += 2
        else:  # alice adds Islamic State
            start = ARTICLE.index("Islamic State")
            services.add_span(annotation, alice, version=version, start=start, end=start + 13, label_id=actor)
            version += 1
        services.submit(annotation, user, version=version)
    return document, alice, bob


def test_k2_submission_is_not_gold_until_reviewed(two_annotations):
    document, *_ = two_annotations
    document.refresh_from_db()
    assert document.gold_at is None and not GoldSpan.objects.exists()


def test_review_settles_disagreements_into_gold(project, two_annotations, make_user):
    document, alice, bob = two_annotations
    reviewer = make_user("rita", role="reviewer", project=project)
    review = services.start_review(document, reviewer)
    state = services.review_state(review)
    assert sorted(i.label for i in state.agreed) == ["ACTOR", "LOCATION"]  # Iraqi forces, Mosul
    keys = [c.key for c in state.conflicts]
    assert len(keys) == 3  # Islamic State, Raqqa, Syria
    with pytest.raises(services.EditRefused, match="3 disagreements"):
        services.accept(review, reviewer, version=review.version)

    by_start = {c.start: c.key for c in state.conflicts}
    v = review.version
    services.resolve(review, reviewer, version=v, conflict=by_start[ARTICLE.index("Islamic State")], choice="alice")
    services.resolve(review, reviewer, version=v + 1, conflict=by_start[ARTICLE.index("Raqqa")], choice="neither")
    services.resolve(review, reviewer, version=v + 2, conflict=by_start[ARTICLE.index("Syria")], choice="bob")
    services.undo(review, reviewer, version=v + 3)  # the Syria choice is undone ...
    assert len(services.review_state(review).open_conflicts) == 1
    services.resolve(review, reviewer, version=v + 4, conflict=by_start[ARTICLE.index("Syria")], choice="bob")
    services.accept(review, reviewer, version=v + 5)

    document.refresh_from_db()
    assert document.gold_by == reviewer and document.gold_at is not None
    gold = {(ARTICLE[g.start : g.end], g.label.name) for g in GoldSpan.objects.select_related("label")}
    assert gold == {("Iraqi forces", "ACTOR"), ("Mosul", "LOCATION"), ("Islamic State", "ACTOR"), ("Syria", "LOCATION")}
    assert GoldSpan.objects.filter(decided_by=reviewer).count() == 4


def test_keep_settles_after_a_hand_edit(project, two_annotations, make_user):
    document, *_ = two_annotations
    reviewer = make_user("rita", role="reviewer", project=project)
    review = services.start_review(document, reviewer)
    conflict = next(c for c in services.review_state(review).conflicts if c.start == ARTICLE.index("Raqqa"))
    services.add_span(review, reviewer, version=review.version, start=conflict.start, end=conflict.end, label_id=project.labels.get(name="LOCATION").pk)
    review.refresh_from_db()
    services.resolve(review, reviewer, version=review.version, conflict=conflict.key, choice="keep")
    review.refresh_from_db()
    assert conflict.key in services.review_state(review).resolved
    assert review.spans.filter(start=conflict.start, label__name="LOCATION").exists()


def test_single_annotator_with_review_waits_for_approval(project, docs, make_user):
    project.review_single = True
    project.save()
    alice = make_user("alice", project=project)
    annotation = services.start_annotation(docs[0], alice)
    services.submit(annotation, alice, version=annotation.version)
    assert not GoldSpan.objects.exists()
    reviewer = make_user("rita", role="reviewer", project=project)
    review = services.start_review(docs[0], reviewer)
    assert services.review_state(review).conflicts == []
    services.accept(review, reviewer, version=review.version)
    assert GoldSpan.objects.count() == annotation.spans.count()


# ---------------------------------------------------------------- roles


ROLE_PAGES = {
    # name: (url args builder, {role: expected status})
    "project_detail": (lambda d: ["news"], {"manager": 200, "reviewer": 200, "annotator": 200, None: 404}),
    "dashboard": (lambda d: ["news"], {"manager": 200, "reviewer": 200, "annotator": 403, None: 404}),
    "project_settings": (lambda d: ["news"], {"manager": 200, "reviewer": 403, "annotator": 403, None: 404}),
    "review_queue": (lambda d: ["news"], {"manager": 200, "reviewer": 200, "annotator": 403, None: 404}),
    "review": (lambda d: ["news", d.pk], {"manager": 200, "reviewer": 200, "annotator": 403, None: 404}),
    "export": (lambda d: ["news"], {"manager": 200, "reviewer": 403, "annotator": 403, None: 404}),
    "annotate": (lambda d: ["news", d.pk], {"manager": 200, "reviewer": 200, "annotator": 200, None: 404}),
}


@pytest.mark.parametrize("role", ["manager", "reviewer", "annotator", None])
@pytest.mark.parametrize("page", sorted(ROLE_PAGES))
def test_pages_by_role(client, project, docs, make_user, role, page):
    user = make_user("someone", role=role or "annotator", project=project if role else None)
    client.force_login(user)
    args, expected = ROLE_PAGES[page]
    response = client.get(reverse(page, args=args(docs[0])) + ("?layer=model" if page == "export" else ""))
    assert response.status_code == expected[role]


@pytest.mark.parametrize("role, allowed", [("manager", True), ("reviewer", False), ("annotator", False)])
def test_settings_changes_need_a_manager(client, project, make_user, role, allowed):
    client.force_login(make_user("someone", role=role, project=project))
    client.post(reverse("member_save", args=["news"]), {"username": "someone", "role": "manager"})
    client.post(reverse("label_add", args=["news"]), {"name": "WEAPON", "color": "#123456", "hotkey": "4", "order": 4})
    assert project.labels.filter(name="WEAPON").exists() is allowed


def test_annotators_are_blind_to_others_and_to_gold(client, project, two_annotations, make_user):
    document, alice, bob = two_annotations
    client.force_login(alice)
    page = client.get(reverse("project_detail", args=["news"])).content.decode()
    assert "Gold</th>" not in page and "State</th>" not in page
    annotate = client.get(reverse("annotate", args=["news", document.pk])).content.decode()
    # alice sees her own spans only: Syria as ACTOR (bob made it LOCATION), Raqqa kept (bob deleted it).
    assert annotate.count('<mark class="span') == 5
    bob_annotation = Annotation.objects.get(annotator=bob)
    response = client.post(reverse("undo", args=["news", bob_annotation.pk]), {"version": bob_annotation.version})
    assert response.status_code == 404


def test_manager_edits_settings_labels_and_members(client, project, make_user):
    manager = make_user("boss", role="manager", project=project)
    make_user("newbie")
    client.force_login(manager)
    response = client.post(
        reverse("project_settings", args=["news"]),
        {"name": "News", "annotators_per_document": 3, "work_order": "random", "random_seed": 5, "claim_minutes": 30},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.annotators_per_document, project.work_order, project.claim_minutes) == (3, "random", 30)
    bad = client.post(reverse("label_add", args=["news"]), {"name": "X", "color": "#123456", "hotkey": "1", "order": 1})
    assert bad.status_code == 422 and "belongs to another label" in bad.content.decode()
    client.post(reverse("member_save", args=["news"]), {"username": "newbie", "role": "reviewer"})
    assert project.memberships.get(user__username="newbie").role == "reviewer"
    missing = client.post(reverse("member_save", args=["news"]), {"username": "ghost", "role": "reviewer"})
    assert missing.status_code == 422 and "No user named" in missing.content.decode()


def test_a_new_submission_after_the_gold_waits_for_review_again(project, two_annotations, make_user):
    document, alice, bob = two_annotations
    reviewer = make_user("rita", role="reviewer", project=project)
    review = services.start_review(document, reviewer)
    state = services.review_state(review)
    version = review.version
    for conflict in state.conflicts:
        services.resolve(review, reviewer, version=version, conflict=conflict.key, choice="neither")
        version += 1
    services.accept(review, reviewer, version=version)
    assert [waits for _, waits in services_queue(project)] == [False]
    annotation = Annotation.objects.get(annotator=alice)
    services.reopen(annotation, alice, version=annotation.version)
    assert [waits for _, waits in services_queue(project)] == [False]  # reopened: reviewed, nothing new yet
    services.submit(annotation, alice, version=annotation.version)
    assert [waits for _, waits in services_queue(project)] == [True]


def services_queue(project):
    from annotator import selectors

    return selectors.review_queue(project).rows
