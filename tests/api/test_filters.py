"""The lists' query parameters (annotator/api/filters.py): a bad value is a 400 naming its parameter; good ones filter."""

import pytest

from annotator import services
from annotator.models import Membership

from .conftest import url

pytestmark = pytest.mark.django_db

MANAGER, ANNOTATOR = Membership.Role.MANAGER, Membership.Role.ANNOTATOR


@pytest.mark.parametrize(
    "tail, parameter",
    [
        ("documents/?state=lost", "state"),
        ("documents/?status=finished", "status"),
        ("annotations/?document=x", "document"),
        ("annotations/?document=-1", "document"),
        (f"annotations/?document={2**31}", "document"),
        ("annotations/?status=nope", "status"),
        ("annotations/?kind=other", "kind"),
        ("gold/?as_of=yesterday", "as_of"),
        ("gold/?document=1.5", "document"),
        ("predictions/?document=x", "document"),
    ],
)
def test_a_bad_parameter_is_400_naming_it(project, docs, as_user, tail, parameter):
    _, client = as_user(MANAGER)
    response = client.get(url(project, tail))
    assert response.status_code == 400, response.content
    assert list(response.json()) == [parameter]


def test_only_overseers_filter_by_state(project, docs, as_user):
    _, client = as_user(ANNOTATOR)
    response = client.get(url(project, "documents/?state=unassigned"))
    assert response.status_code == 400 and "only managers and reviewers" in response.json()["state"][0]


def test_good_parameters_filter(project, docs, as_user):
    user, client = as_user(MANAGER)
    services.start_annotation(docs[1], user)
    in_progress = client.get(url(project, "documents/"), {"state": "in progress"}).json()["results"]
    assert [d["id"] for d in in_progress] == [docs[1].pk]  # "in progress" is read as in_progress
    found = client.get(url(project, "documents/"), {"q": "  Report 3  "}).json()["results"]
    assert [d["id"] for d in found] == [docs[2].pk]  # the search text is trimmed
    mine = client.get(url(project, "annotations/"), {"document": docs[1].pk, "status": "draft"}).json()["results"]
    assert [a["document"] for a in mine] == [docs[1].pk]
    assert client.get(url(project, "annotations/"), {"document": docs[0].pk}).json()["count"] == 0
    one = client.get(url(project, "predictions/"), {"document": docs[2].pk}).json()["results"]
    assert [r["document"] for r in one] == [docs[2].pk]


def test_empty_parameters_are_left_out(project, docs, as_user):
    _, client = as_user(MANAGER)
    assert client.get(url(project, "documents/?state=&status=&q=")).json()["count"] == 3
