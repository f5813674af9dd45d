"""Logging pieces: the request id on every record, and a rotating file whose folder is made when first written.

Settings only describe the handlers (settings.LOGGING); nothing is created
when they are read. The file handler makes its folder on the first record.
"""

from __future__ import annotations

import contextvars
import logging
import logging.handlers
import os

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Give every record `request_id`: the id of the request being served, "-" outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        return True


class LazyRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler that opens its file (and makes its folder) only when a record is written."""

    def __init__(self, filename, mode="a", maxBytes=0, backupCount=0, encoding=None, delay=True, errors=None):
        super().__init__(filename, mode, maxBytes, backupCount, encoding, delay=True, errors=errors)

    def _open(self):
        os.makedirs(os.path.dirname(self.baseFilename), exist_ok=True)
        return super()._open()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        except OSError:  # a read-only or full disk must not turn a logged error into another one
            self.handleError(record)
