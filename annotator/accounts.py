"""Accounts: the login lockout's answer, the client's address, and retiring API tokens on a password change.

django-axes (settings.AUTHENTICATION_BACKENDS) counts failed password logins
on the login page, /admin/ and POST /api/auth/token/; this module says what a
locked-out client sees: the lockout page, or JSON under /api/.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from knox.settings import knox_settings


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind PROXY_COUNT proxies the one they put in X-Forwarded-For."""
    request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    proxies = getattr(settings, "PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


def _minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def lockout_message() -> str:
    return (
        f"Too many failed logins for this account or from this address: try again in {_minutes()} minutes "
        "(or ask an administrator to lift the lockout)."
    )


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out client gets: 429 with the lockout page, or JSON `{"detail": ...}` under /api/."""
    request = getattr(request, "_request", request)
    retry = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        response = render(request, "registration/lockout.html", {"message": lockout_message(), "minutes": _minutes()}, status=429)
    response["Retry-After"] = retry
    return response


def retire_tokens_on_password_change(sender, instance, update_fields=None, **kwargs):
    """pre_save of the user model: a new password deletes the user's API tokens (they log in again)."""
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is not None and old != instance.password:
        # knox's get_token_model(), read through the registry: knox.models cannot be imported before the
        # apps are ready, and apps.py imports this module at the top.
        apps.get_model(knox_settings.TOKEN_MODEL).objects.filter(user_id=instance.pk).delete()
