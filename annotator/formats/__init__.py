"""Readers and writers of annotation formats. Pure: no Django, no ORM.

Each format module has `load(lines) -> records` and `dump(records) -> lines`;
`FORMATS` names them.
"""

from . import jsonl, txt
from .records import FormatError, Record, Span

FORMATS = {
    "jsonl": jsonl,
    "txt": txt,
}

__all__ = ["FORMATS", "FormatError", "Record", "Span", "detect_format"]


def detect_format(path: str) -> str:
    """Guess a file's format from its name (the `auto` choice of import_docs)."""
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "txt"
