"""Middleware: a request id for every request, NUL characters refused, and the pages' handler of app errors.

A proxy's X-Request-ID is kept when it looks like an id (letters, digits, `-`, `_`, `.`, up to 64),
so one id follows a request from the proxy's log to ours; otherwise a new random one is made.
"""

from __future__ import annotations

import re
import uuid

from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django_htmx.http import reswap, retarget

from .errors import AppError, Stale
from .logging import request_id_var

_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = given if _SAFE.fullmatch(given) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class RefuseNulMiddleware:
    """400 for a NUL character in the query string or a form field, on every page and database alike.

    PostgreSQL cannot compare or store text with a NUL in it (a search for one was a 500 there and an
    empty result on SQLite). Multipart bodies (file uploads) are left to the import's own checks.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        bad = "%00" in query or "\x00" in query
        if not bad and request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            bad = any("\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists())
        if bad:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "NUL characters are not allowed."}, status=400)
            return HttpResponseBadRequest("NUL characters are not allowed.", content_type="text/plain")
        return self.get_response(request)


class AppErrorMiddleware:
    """The pages' one handler of app errors (annotator.errors): the message where the page shows messages.

    An htmx request or a form post (the editors' edits) gets the `flash`
    fragment, retargeted into the page's `#flash` region, with the error's
    status, which the page's script shows; a page opened in the browser gets
    the error page with the message. A stale version also sends
    X-Annotation-Version. The API has its own handler (annotator.api.errors).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, AppError) or request.path.startswith("/api/"):
            return None
        message, status = str(exception), exception.status
        if getattr(request, "htmx", False) or request.method == "POST":
            response = render(request, "annotator/annotate.html#flash", {"flash": message, "level": "error"}, status=status)
            response = reswap(retarget(response, "#flash"), "innerHTML")
        else:
            template = {403: "403.html", 404: "404.html"}.get(status, "error.html")
            response = render(request, template, {"exception": message, "status": status, "app_error": True}, status=status)
        if isinstance(exception, Stale) and exception.current_version is not None:
            response["X-Annotation-Version"] = str(exception.current_version)
        return response
