"""The API's one exception handler: an app error (annotator.errors) answers with its status and `{"detail": ...}`.

A stale version also carries `current_version` (in the body and the
X-Annotation-Version header) so the client can reload and try again.
Everything else goes to DRF's own handler.
"""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from ..errors import AppError, Stale


def exception_handler(exc, context):
    if not isinstance(exc, AppError):
        return drf_exception_handler(exc, context)
    set_rollback()
    data = {"detail": str(exc)}
    headers = {}
    if isinstance(exc, Stale) and exc.current_version is not None:
        data["current_version"] = exc.current_version
        headers["X-Annotation-Version"] = str(exc.current_version)
    return Response(data, status=exc.status, headers=headers)
