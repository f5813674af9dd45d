"""The one error family (annotator.errors): each class answers with its status, on pages and in the API."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from annotator import errors, services
from annotator.api.errors import exception_handler
from annotator.formats import FormatError
from annotator.middleware import AppErrorMiddleware
from annotator.services import gold

CLASSES = [
    (errors.BadInput, 400),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Stale, 409),
    (errors.Refused, 422),
]


def _request(method="post", htmx=False, path="/p/news/a/1/spans/"):
    headers = {"HX-Request": "true"} if htmx else {}
    request = getattr(RequestFactory(), method)(path, headers=headers)
    request.user = AnonymousUser()
    request.htmx = HtmxDetails(request)
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _page(error, **request):
    return AppErrorMiddleware(lambda r: None).process_exception(_request(**request), error)


@pytest.mark.parametrize("cls, status", CLASSES)
def test_each_class_has_its_status(cls, status):
    assert cls("why").status == status and str(cls("why")) == "why"
    assert issubclass(cls, errors.AppError)


@pytest.mark.parametrize(
    "cls, base",
    [
        (services.EditRefused, errors.Refused),
        (services.StaleEdit, errors.Stale),
        (services.ClaimRefused, errors.Conflict),
        (gold.GoldRefused, errors.Refused),
        (FormatError, errors.BadInput),
    ],
)
def test_the_old_errors_are_members_of_the_family(cls, base):
    assert issubclass(cls, base)


@pytest.mark.parametrize("cls, status", CLASSES)
def test_api_answers_each_class_with_its_status_and_detail(cls, status):
    response = exception_handler(cls("Not like that."), {})
    assert response.status_code == status and response.data["detail"] == "Not like that."


def test_api_answers_a_stale_version_with_the_current_one():
    response = exception_handler(services.StaleEdit(7), {})
    assert response.status_code == 409 and response.data["current_version"] == 7
    assert response.headers["X-Annotation-Version"] == "7"


def test_api_leaves_other_exceptions_to_drf():
    assert exception_handler(ValueError("no"), {}) is None  # DRF's handler: not an API error, a 500


@pytest.mark.parametrize("cls, status", CLASSES)
@pytest.mark.django_db
def test_pages_answer_an_edit_with_the_flash_fragment_and_the_status(cls, status):
    response = _page(cls("That overlaps <b>Mosul</b>."), htmx=True)
    assert response.status_code == status
    assert response["HX-Retarget"] == "#flash" and response["HX-Reswap"] == "innerHTML"
    body = response.content.decode()
    assert 'class="flash flash-error"' in body and "That overlaps &lt;b&gt;Mosul&lt;/b&gt;." in body


@pytest.mark.parametrize("cls, status", CLASSES)
@pytest.mark.django_db
def test_pages_opened_in_the_browser_show_the_message_with_the_status(cls, status):
    response = _page(cls("Nothing <i>here</i>."), method="get", path="/p/news/")
    assert response.status_code == status
    assert "Nothing &lt;i&gt;here&lt;/i&gt;." in response.content.decode()


@pytest.mark.django_db
def test_pages_send_the_current_version_of_a_stale_edit():
    response = _page(services.StaleEdit(12), htmx=True)
    assert response.status_code == 409 and response["X-Annotation-Version"] == "12"


def test_pages_leave_other_exceptions_and_the_api_alone():
    assert _page(ValueError("no")) is None
    assert _page(errors.Refused("no"), path="/api/projects/news/") is None
