"""A request id for every request: in its log lines (annotator.logging) and its response's X-Request-ID.

A proxy's X-Request-ID is kept when it looks like an id (letters, digits, `-`, `_`, `.`, up to 64),
so one id follows a request from the proxy's log to ours; otherwise a new random one is made.
"""

from __future__ import annotations

import re
import uuid

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
        from django.http import HttpResponseBadRequest

        query = request.META.get("QUERY_STRING", "")
        bad = "%00" in query or "\x00" in query
        if not bad and request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            bad = any("\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists())
        if bad:
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse({"detail": "NUL characters are not allowed."}, status=400)
            return HttpResponseBadRequest("NUL characters are not allowed.", content_type="text/plain")
        return self.get_response(request)
