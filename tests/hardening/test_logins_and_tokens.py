"""Logins resist guessing (django-axes lockout, DRF throttle) and API tokens are hashed, expiring and revocable."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-pass-123"


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()  # DRF keeps its throttle counts in the cache
    yield
    cache.clear()


@pytest.fixture
def alice(make_user):
    return make_user("alice", password=PASSWORD)


def _login_page(client, username, password, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _token(username, password, address="10.0.0.1"):
    return APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


# ---------------------------------------------------------------- lockout


def test_login_page_locks_a_user_out_after_repeated_failures(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login_page(client, "alice", "wrong").status_code == 200  # the form again, with its error
    locked = _login_page(client, "alice", "wrong")
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
    assert int(locked["Retry-After"]) == 15 * 60
    # Even the right password is refused now, from another address too: the account is locked.
    assert _login_page(client, "alice", PASSWORD, address="10.0.0.2").status_code == 429
    assert "_auth_user_id" not in client.session
    # Managers see it in the admin.
    assert AccessAttempt.objects.filter(username="alice").exists()


def test_an_address_is_locked_out_whatever_usernames_it_tries(client, alice, make_user, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login_page(client, f"guess{n}", "wrong", address="10.9.9.9")
    assert _login_page(client, "alice", PASSWORD, address="10.9.9.9").status_code == 429
    # Another address still logs in.
    assert _login_page(client, "alice", PASSWORD, address="10.0.0.7").status_code == 302


def test_a_lockout_ends_after_the_cool_off(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login_page(client, "alice", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _login_page(client, "alice", PASSWORD, address="10.0.0.3").status_code == 302


def test_admin_login_is_locked_out_too(client, make_user, settings):
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "root", "password": "wrong"}, REMOTE_ADDR="10.1.1.1")
    assert client.post("/admin/login/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1").status_code == 429


def test_token_endpoint_is_locked_out_with_json(alice, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "1000/minute"}}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token("alice", "wrong").status_code == 400
    locked = _token("alice", "wrong")
    assert locked.status_code == 429 and "Too many failed logins" in locked.json()["detail"]
    assert _token("alice", PASSWORD, address="10.0.0.8").status_code == 429


def test_token_endpoint_is_throttled_per_address(alice):
    answers = [_token("alice", PASSWORD, address="10.2.2.2").status_code for _ in range(11)]
    assert answers[:10] == [200] * 10 and answers[10] == 429
    assert _token("alice", PASSWORD, address="10.2.2.3").status_code == 200


def test_locked_out_tries_do_not_hash_the_password(client, alice, settings, monkeypatch):
    """Once locked out, a try costs no password hashing (the hashing is what 4 guessers turned into a DoS)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the real one (conftest)
    alice.set_password(PASSWORD)
    alice.save()
    calls = []
    monkeypatch.setattr(PBKDF2PasswordHasher, "verify", lambda self, *a: calls.append(1) or False)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login_page(client, "alice", "wrong")
    assert len(calls) == settings.AXES_FAILURE_LIMIT  # each try before the lockout checked the password
    calls.clear()
    assert _login_page(client, "alice", "wrong").status_code == 429
    assert calls == []


# ---------------------------------------------------------------- tokens


def test_tokens_are_stored_hashed_and_expire(alice, settings):
    answer = _token("alice", PASSWORD).json()
    token = answer["token"]
    stored = AuthToken.objects.get(user=alice)
    assert token not in (stored.digest, stored.token_key) and len(stored.digest) == 128  # sha512 of the token
    assert stored.expiry - timezone.now() > timedelta(days=6, hours=23) and answer["expiry"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/projects/").status_code == 200
    AuthToken.objects.filter(pk=stored.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/projects/").status_code == 401


def test_a_password_change_retires_the_tokens(alice):
    token = _token("alice", PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/projects/").status_code == 200
    alice.set_password("another-long-pass-456")
    alice.save()
    assert client.get("/api/projects/").status_code == 401
    fresh = _token("alice", "another-long-pass-456").json()["token"]
    assert fresh != token


def test_saving_a_user_without_a_password_change_keeps_the_tokens(alice):
    token = _token("alice", PASSWORD).json()["token"]
    alice.first_name = "Alice"
    alice.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/projects/").status_code == 200


def test_logout_revokes_one_token_and_logoutall_every_token(alice):
    first, second, third = (_token("alice", PASSWORD).json()["token"] for _ in range(3))
    clients = []
    for token in (first, second, third):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        clients.append(client)
    assert clients[0].post("/api/auth/logout/").status_code == 204
    assert clients[0].get("/api/projects/").status_code == 401
    assert clients[1].get("/api/projects/").status_code == 200
    assert clients[1].post("/api/auth/logoutall/").status_code == 204
    assert clients[2].get("/api/projects/").status_code == 401


# ---------------------------------------------------------------- passwords


@pytest.mark.parametrize("password", ["a", "12345678901234", "password123"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password, get_user_model()(username="someone"))


def test_ensure_admin_applies_the_password_validators(monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "a")
    with pytest.raises(CommandError, match="ADMIN_PASSWORD is refused"):
        call_command("ensure_admin", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()
    monkeypatch.setenv("ADMIN_PASSWORD", "98765432109876")
    with pytest.raises(CommandError, match="entirely numeric"):
        call_command("ensure_admin", stdout=io.StringIO())
    monkeypatch.setenv("ADMIN_PASSWORD", "a-good-admin-pass-2024")
    call_command("ensure_admin", stdout=io.StringIO())
    assert get_user_model().objects.get(username="admin").check_password("a-good-admin-pass-2024")
