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
