"""How the review page shows disagreements: word-bounded snippets of the text with every annotator's spans.

Display only (no queries): `conflict_rows` turns a review state into the
rows the review template draws; `Shown` colours an Item for any text
template (review snippets, the gold page).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from .. import offsets
from ..spans import Span as Item

CONTEXT = 50  # about this many characters shown around a disagreement, widened to whole words
ELLIPSIS = "…"


class Shown:
    """An Item with what the text templates need to colour it (review snippets, the gold page)."""

    def __init__(self, item: Item, colors: dict[str, str]):
        self.start, self.end, self.label_name = item.start, item.end, item.label
        self.color = colors.get(item.label, "#888888")


@dataclass
class Option:
    key: str  # the keyboard key that takes it
    choice: str  # the annotator's username, or "model" for the reference row
    title: str
    segments: list
    empty: bool


def _cut_points(text: str, start: int, end: int) -> tuple[int, int]:
    """About CONTEXT characters either side of [start, end), never cutting a word: the cut is at a space
    (at most 25 characters further out; a longer word is cut where it stands)."""
    left = max(0, start - CONTEXT)
    if left > 0 and not text[left - 1].isspace():
        space = text.rfind(" ", max(0, left - 25), left)
        newline = text.rfind("\n", max(0, left - 25), left)
        at = max(space, newline)
        left = at + 1 if at != -1 else left
    right = min(len(text), end + CONTEXT)
    if right < len(text) and not text[right].isspace():
        spaces = [i for i in (text.find(" ", right, right + 25), text.find("\n", right, right + 25)) if i != -1]
        right = min(spaces) if spaces else right
    return min(left, start), max(right, end)


def _snippet(text: str, start: int, end: int, items) -> tuple[str, list]:
    """Cut the text around [start, end) at word boundaries and shift the items into it;
    an ellipsis marks where the text goes on."""
    left, right = _cut_points(text, start, end)
    items = [i for i in items if left <= i.start and i.end <= right]
    prefix = ELLIPSIS if left > 0 else ""
    piece = prefix + text[left:right].strip("\n") + (ELLIPSIS if right < len(text) else "")
    # Offsets shift by what was cut off the left, plus the ellipsis, minus the line breaks stripped at the start.
    lead = len(text[left:right]) - len(text[left:right].lstrip("\n"))
    shift = left + lead - len(prefix)
    shifted = [Item(i.start - shift, i.end - shift, i.label) for i in items]
    return piece, shifted


def conflict_rows(document, state, model_items, colors):
    """For each disagreement, every annotator's version (and the model's) as display segments."""
    rows = []
    keys = iter(string.ascii_lowercase.replace("e", "").replace("n", "").replace("j", "").replace("k", ""))
    letters = {name: next(keys) for name in state.sets}
    for conflict in state.conflicts:
        options = []
        for name, items in conflict.options:
            piece, shifted = _snippet(document.text, conflict.start, conflict.end, items)
            spans = [Shown(i, colors) for i in shifted]
            options.append(Option(letters[name], name, name, offsets.segments(piece, spans), not items))
        inside = [i for i in model_items if i.start < conflict.end and conflict.start < i.end]
        piece, shifted = _snippet(document.text, conflict.start, conflict.end, inside)
        model = Option("", "model", "model", offsets.segments(piece, [Shown(i, colors) for i in shifted]), not inside)
        rows.append(
            {
                "conflict": conflict,
                "text": _words(document.text[conflict.start : conflict.end]),
                "options": options,
                "model": model,
                "choice": state.resolved.get(conflict.key),
            }
        )
    return rows, letters


def _words(text: str, limit: int = 60) -> str:
    """The text of a disagreement for its heading: one line, at most `limit` characters, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + ELLIPSIS


def quoted(text: str, item: Item) -> dict:
    return {"label": item.label, "text": text[item.start : item.end], "start": item.start, "end": item.end}
