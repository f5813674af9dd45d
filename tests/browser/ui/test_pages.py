"""Settings (rename, accounts, errors where the eye is), the review page's wording and snippets,
the error pages, the API index and the favicon."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotator import services
from annotator.models import Label, Membership

from ...conftest import make_document
from .conftest import log_in


@pytest.fixture
def boss_client(client, project, make_user):
    client.force_login(make_user("boss", role=Membership.Role.MANAGER, project=project))
    return client


def test_a_label_is_renamed_in_the_app_and_its_spans_follow(boss_client, project, predicted, make_user):
    label = Label.objects.get(project=project, name="ACTOR")
    response = boss_client.post(
        reverse("label_save", args=["news", label.pk]),
        {f"label-{label.pk}-{k}": v for k, v in {"name": "party", "color": label.color, "hotkey": "1", "description": "", "order": 0}.items()},
    )
    assert response.status_code == 302
    assert not Label.objects.filter(project=project, name="ACTOR").exists()
    page = boss_client.get(reverse("project_settings", args=["news"])).content.decode()
    assert "renamed PARTY" in page and "its spans follow" in page
    # The spans point at the label: they show the new name.
    from annotator.models import PredictedSpan

    assert set(PredictedSpan.objects.filter(label=label).values_list("label__name", flat=True)) == {"PARTY"}


def test_a_refused_label_edit_opens_its_row_with_the_error_beside_the_field(boss_client, project):
    actor, location = Label.objects.get(project=project, name="ACTOR"), Label.objects.get(project=project, name="LOCATION")
    response = boss_client.post(
        reverse("label_save", args=["news", actor.pk]),
        {f"label-{actor.pk}-name": "LOCATION", f"label-{actor.pk}-color": actor.color, f"label-{actor.pk}-hotkey": "1", f"label-{actor.pk}-order": 0},
    )
    assert response.status_code == 422
    html = response.content.decode()
    row = html[html.index(f'id="label-{actor.pk}"') : html.index(f'id="label-{location.pk}"')]
    assert "<details class=\"label-edit\" open>" in row and "LOCATION exists already" in row and "data-first-error" in row
    # The form posts to an address ending in its section's anchor: the browser comes back to it.
    assert f'#label-{actor.pk}"' in row


def test_the_role_defaults_to_annotator_and_fields_have_human_names(boss_client):
    html = boss_client.get(reverse("project_settings", args=["news"])).content.decode()
    assert '<option value="annotator" selected>Annotator</option>' in html
    assert "Review single:" not in html and "Claim minutes" not in html and "Annotators per document (k)" in html
    assert 'type="color"' in html


def test_a_manager_makes_an_account_with_the_password_rules(boss_client, project):
    url = reverse("account_create", args=["news"])
    weak = boss_client.post(url, {"username": "newbie", "password1": "1234", "password2": "1234", "role": "annotator"})
    assert weak.status_code == 422 and "too short" in weak.content.decode()
    assert not get_user_model().objects.filter(username="newbie").exists()
    good = "Tall-Orange-Kettle-42"
    response = boss_client.post(url, {"username": "newbie", "password1": good, "password2": good, "role": "reviewer"})
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newbie")
    assert user.check_password(good) and project.memberships.get(user=user).role == "reviewer"


def test_only_managers_make_accounts(client, project, make_user):
    client.force_login(make_user("rita", role=Membership.Role.REVIEWER, project=project))
    response = client.post(reverse("account_create", args=["news"]), {"username": "x", "password1": "Tall-Orange-Kettle-42", "password2": "Tall-Orange-Kettle-42", "role": "manager"})
    assert response.status_code == 403 and not get_user_model().objects.filter(username="x").exists()


def test_review_wording_and_snippets_cut_at_words(client, project, make_user, fake_extractor):
    project.annotators_per_document = 2
    project.save()
    text = ("Word " * 30) + "Islamic State fighters attacked the town. " + ("Other " * 30)
    document = make_document(project, text=text)
    label = Label.objects.get(project=project, name="ACTOR")
    for name, end in (("alice", "Islamic State"), ("bob", "Islamic State fighters")):
        user = make_user(name, project=project)
        annotation = services.claim_document(document, user)
        start = text.index("Islamic")
        services.add_span(annotation, user, version=annotation.version, start=start, end=start + len(end), label_id=label.pk)
        annotation.refresh_from_db()
        services.submit(annotation, user, version=annotation.version)
    client.force_login(make_user("rita", role=Membership.Role.REVIEWER, project=project))
    html = client.get(reverse("review", args=["news", document.pk])).content.decode()
    assert "characters " not in html
    assert "Disagreement 1 of 1: “Islamic State fighters”" in html
    # Each snippet starts and ends at a whole word, with an ellipsis where the text goes on.
    import re

    for snippet in re.findall(r'<span class="snippet">(.*?)</span>\s*(?:<em|</button>|</div>)', html, re.S):
        plain = re.sub(r"<[^>]+>", "", snippet)
        assert plain.startswith("…Word ") or plain.startswith("…"), plain[:20]
        assert plain.rstrip().endswith("Other …") or plain.rstrip().endswith("…"), plain[-20:]
        assert " Wor…" not in plain and "…ord" not in plain and "Oth…" not in plain


def test_styled_error_pages_with_a_way_back(client, project, make_user):
    client.force_login(make_user("ann", project=project))
    missing = client.get("/p/news/d/999999/")
    assert missing.status_code == 404
    html = missing.content.decode()
    assert "app.css" in html and reverse("project_list") in html and "Go to your projects" in html
    forbidden = client.get(reverse("dashboard", args=["news"]))
    assert forbidden.status_code == 403
    assert "app.css" in forbidden.content.decode() and "Go to your projects" in forbidden.content.decode()


def test_the_api_root_is_an_index_and_the_favicon_is_linked(client, project, make_user):
    response = client.get("/api/")
    assert response.status_code == 200
    index = response.json()
    assert index["projects"].endswith("/api/projects/") and index["docs"].endswith("/api/docs/")
    assert client.get("/api/nothing-here/").status_code == 404
    client.force_login(make_user("ann", project=project))
    assert 'rel="icon" href="/static/annotator/favicon.svg"' in client.get("/").content.decode()
    docs = client.get("/api/docs/").content.decode()
    assert "← Annotator" in docs


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_form_errors_are_brought_into_view(page, live_server, project, make_user):
    make_user("boss", role=Membership.Role.MANAGER, project=project)
    log_in(page, live_server, "boss")
    page.goto(live_server.url + reverse("project_settings", args=["news"]))
    page.fill("#accounts input[name=username]", "newbie")
    page.fill("#accounts input[name=password1]", "short")
    page.fill("#accounts input[name=password2]", "short")
    page.click("#accounts button[type=submit]")
    errors = page.locator("#accounts .form-errors")
    errors.wait_for()
    box = errors.bounding_box()
    assert 0 <= box["y"] and box["y"] < page.viewport_size["height"], box
    assert page.evaluate("document.activeElement.matches('[data-first-error]')")
