"""The formats' error: bad input with where it is (file, line, field)."""

from __future__ import annotations

from ..errors import BadInput


class FormatError(BadInput):
    """Bad input, with where it is: "file:line: field 'x': what is wrong".

    `line` is 1-based, None when the problem concerns the whole file.
    """

    def __init__(self, message: str, line: int | None = None, field: str | None = None, path: str | None = None):
        self.message = message
        self.line = line
        self.field = field
        self.path = path
        super().__init__(message)

    def __str__(self) -> str:
        place = ":".join(str(p) for p in (self.path, self.line) if p)
        if self.field:
            place = f"{place}: field '{self.field}'" if place else f"field '{self.field}'"
        return f"{place}: {self.message}" if place else self.message

    def at(self, path: str) -> "FormatError":
        """Return the same error located in the file `path`."""
        return FormatError(self.message, self.line, self.field, path)
