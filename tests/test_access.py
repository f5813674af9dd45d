"""The pages' one access check (annotator.views.access.project_page): every project page declares the roles
it admits, and each role gets exactly those pages: 404 for non-members, 403 for a member without the role."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from annotator.models import Annotation, Membership
from annotator.roles import Role
from annotator.urls import project_urls
from annotator.views.access import project_page

from .conftest import make_document

ALL = ()  # every member
OVERSEERS = (Role.MANAGER, Role.REVIEWER)
MANAGER = (Role.MANAGER,)
EXPECTED = {
    "project_detail": ALL, "document_list": ALL, "document_bulk": MANAGER, "dashboard": OVERSEERS,
    "project_settings": MANAGER, "label_add": MANAGER, "label_save": MANAGER, "label_delete": MANAGER,
    "member_save": MANAGER, "account_create": MANAGER, "member_remove": MANAGER,
    "export": MANAGER, "import_upload": MANAGER, "evaluation": OVERSEERS,
    "next_document": ALL, "annotate": ALL, "claim": ALL, "document_before": ALL, "document_after": ALL,
    "gold": OVERSEERS, "gold_restore": OVERSEERS,
    "span_add": ALL, "span_change": ALL, "span_delete": ALL, "undo": ALL, "submit": ALL, "skip": ALL, "reopen": ALL,
    "rebuild": OVERSEERS, "review_queue": OVERSEERS, "agreement": OVERSEERS, "review_next": OVERSEERS,
    "review": OVERSEERS, "resolve": OVERSEERS,
    "task_list": ALL, "task_detail": ALL, "task_download": ALL,
    "task_predict": MANAGER, "task_export": MANAGER, "task_evaluate": OVERSEERS,
    "training": OVERSEERS, "training_start": MANAGER, "training_promote": MANAGER,
    "training_settings": MANAGER, "training_cancel": MANAGER,
}


def test_every_project_page_declares_its_roles_with_the_decorator():
    declared = {pattern.name: tuple(pattern.callback.roles) for pattern in project_urls}
    assert set(declared) == set(EXPECTED), "a page was added or removed: give it its roles here"
    assert {name: set(roles) for name, roles in declared.items()} == {name: set(roles) for name, roles in EXPECTED.items()}


@pytest.fixture
def members(project, make_user):
    return {
        None: make_user("outsider"),
        Role.ANNOTATOR: make_user("ann", role=Role.ANNOTATOR, project=project),
        Role.REVIEWER: make_user("rev", role=Role.REVIEWER, project=project),
        # The manager comes last: the requests it is allowed to make may change the project.
        Role.MANAGER: make_user("boss", role=Role.MANAGER, project=project),
    }


def _kwargs(pattern, project, document, annotation) -> dict:
    values = {
        "slug": project.slug, "pk": document.pk, "aid": annotation.pk, "span_id": 1,
        "label_id": project.labels.first().pk, "member_id": Membership.objects.filter(project=project).first().pk,
    }
    return {"slug": project.slug, **{name: values[name] for name in pattern.pattern.converters}}


def _ask(client, url):
    """GET the page; a POST-only address (405) is POSTed instead, with an empty form."""
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


@pytest.mark.parametrize("pattern", project_urls, ids=lambda p: p.name)
def test_each_role_gets_exactly_its_pages(client, project, members, fake_extractor, pattern):
    document = make_document(project)
    annotation = Annotation.objects.create(document=document, annotator=members[Role.MANAGER])
    url = reverse(pattern.name, kwargs=_kwargs(pattern, project, document, annotation))
    for role, user in members.items():
        client.force_login(user)
        status = _ask(client, url).status_code
        if role is None:
            assert status == 404, (url, role)
        elif EXPECTED[pattern.name] and role not in EXPECTED[pattern.name]:
            assert status == 403, (url, role)
        else:
            assert status not in (403, 405), (url, role, status)


@pytest.fixture
def called():
    seen = {}

    @project_page(Role.MANAGER, Role.REVIEWER)
    def view(request, pk, *, project, role):
        seen.update(pk=pk, project=project, role=role)
        return HttpResponse("ok")

    return view, seen


@pytest.mark.parametrize("role", [Role.MANAGER, Role.REVIEWER])
def test_the_decorator_hands_the_view_project_and_role(project, make_user, called, role):
    view, seen = called
    request = RequestFactory().get("/")
    request.user = make_user("someone", role=role, project=project)
    assert view(request, slug=project.slug, pk=7).content == b"ok"
    assert seen == {"pk": 7, "project": project, "role": role}


def test_the_decorator_refuses_a_member_without_the_role_and_hides_the_project_from_others(project, make_user, called):
    view, seen = called
    request = RequestFactory().get("/")
    request.user = make_user("ann", role=Role.ANNOTATOR, project=project)
    with pytest.raises(PermissionDenied):
        view(request, slug=project.slug, pk=1)
    request.user = make_user("outsider")
    with pytest.raises(Http404):
        view(request, slug=project.slug, pk=1)
    with pytest.raises(Http404):
        view(request, slug="no-such-project", pk=1)
    assert seen == {}


def test_a_superuser_manages_every_project(project, django_user_model, called):
    view, seen = called
    request = RequestFactory().get("/")
    request.user = django_user_model.objects.create_superuser("root", password="pw-for-tests-123")
    view(request, slug=project.slug, pk=1)
    assert seen["role"] == Role.MANAGER
