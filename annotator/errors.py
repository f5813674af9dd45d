"""The app's one error family: what went wrong, said for people, with the HTTP status it answers with.

Services, selectors and the pure parts raise these; they never build
responses. Two handlers turn them into answers: the API's
(`annotator.api.errors.exception_handler`, JSON `{"detail": ...}`) and the
pages' (`annotator.middleware.AppErrorMiddleware`, the message in the page's
message region). Pure: no Django, so the formats package can subclass
`BadInput`.

`BadInput`, `Refused` and `NotFound` are also `ValueError`s: the management
commands report a bad value the same way whichever part raised it.
"""

from __future__ import annotations


class AppError(Exception):
    """Base of the family: `status` is the HTTP status, `str(error)` the message for people."""

    status = 500

    def __init__(self, message: str = ""):
        self.message = message
        super().__init__(message)


class BadInput(AppError, ValueError):
    """The request or file is malformed (not a number, an unknown format, a broken line)."""

    status = 400


class Forbidden(AppError):
    """The user's role does not allow this."""

    status = 403


class NotFound(AppError, ValueError):
    """What was named does not exist here (or is not the user's to know of)."""

    status = 404


class Conflict(AppError):
    """The request collides with the current state (a document with all its annotators)."""

    status = 409


class Stale(Conflict):
    """The thing changed since the client last saw it (its `current_version`); nothing was written."""

    def __init__(self, message: str = "", current_version: int | None = None):
        self.current_version = current_version
        super().__init__(message)


class Refused(AppError, ValueError):
    """Well-formed, but it cannot be done as asked (an overlap, an unknown label, too little gold)."""

    status = 422
