"""The document list's URL: its filters, sort, page size and keyset cursor, read and written (pure: no Django).

Everything the list shows is in its query string, so a filtered, sorted
list can be bookmarked, shared, and carried to the annotate and review
pages, whose previous / next walk the same list. A page is found by its
cursor (the sort key and id of the row before or after it), never by an
offset: page 2,000 costs what page 1 does, and rows added meanwhile are
neither repeated nor skipped.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlencode

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
STATUSES = ("new", "draft", "submitted", "skipped")
LABEL_LAYERS = ("gold", "any")
# Each sort: its key columns with their direction (True: descending); id breaks ties the same way.
SORTS = {
    "order": (("order", False), ("id", False)),
    "uncertainty": (("uncertainty", True), ("id", True)),
    "updated": (("updated", True), ("id", True)),
}
SORT_LABELS = {"order": "Work order", "uncertainty": "Most uncertain first", "updated": "Recently changed (gold or import)"}
META_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
# The parameters that choose rows (not the sort, size or page): kept when the page or sort changes.
FILTERS = ("q", "state", "status", "annotator", "label", "label_in", "gold", "disagreement", "extractor",
           "umin", "umax", "batch", "ids")


@dataclass(frozen=True)
class ListQuery:
    """One document list: what to show (filters), in what order, and where the page starts."""

    q: str = ""
    state: str = ""
    status: str = ""
    annotator: str = ""
    label: str = ""
    label_in: str = "gold"
    gold: str = ""  # "yes", "no" or ""
    disagreement: bool = False
    extractor: str = ""
    umin: float | None = None
    umax: float | None = None
    batch: int | None = None
    meta: tuple[tuple[str, str], ...] = ()
    ids: tuple[int, ...] = ()  # rows checked by hand (bulk actions)
    sort: str = "order"
    size: int = PAGE_SIZE
    after: tuple | None = None  # the cursor: the sort key of the row before the page…
    before: tuple | None = None  # …or of the row after it (the previous page)
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def filtered(self) -> bool:
        return any(self.params(cursor=False, sort=False).get(name) for name in (*FILTERS, *self._meta_names()))

    def _meta_names(self):
        return [f"meta.{key}" for key, _ in self.meta]

    def params(self, *, cursor: bool = True, sort: bool = True) -> dict[str, str]:
        """The query as URL parameters, leaving out defaults (the inverse of `parse`)."""
        out: dict[str, str] = {}
        for name in ("q", "state", "status", "annotator", "label", "extractor", "gold"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.label and self.label_in != "gold":
            out["label_in"] = self.label_in
        if self.disagreement:
            out["disagreement"] = "1"
        for name in ("umin", "umax", "batch"):
            if getattr(self, name) is not None:
                out[name] = str(getattr(self, name))
        if self.ids:
            out["ids"] = ",".join(map(str, self.ids))
        for key, value in self.meta:
            out[f"meta.{key}"] = value
        if sort and self.sort != "order":
            out["sort"] = self.sort
        if sort and self.size != PAGE_SIZE:
            out["size"] = str(self.size)
        if cursor and self.after is not None:
            out["after"] = encode_cursor(self.after)
        if cursor and self.before is not None:
            out["before"] = encode_cursor(self.before)
        return out

    def url(self, **changes) -> str:
        """The query string (with '?', or '' when empty) of this list with `changes` applied."""
        query = replace(self, **changes) if changes else self
        params = query.params()
        return "?" + urlencode(params) if params else ""

    def first_page(self) -> ListQuery:
        return replace(self, after=None, before=None)


def _number(value: str, kind, name: str, problems: list[str]):
    try:
        return kind(value)
    except ValueError:
        problems.append(f"{name}: not a number ({value[:20]!r}), ignored")
        return None


def parse(params, *, states: tuple[str, ...] = ()) -> ListQuery:
    """Read a ListQuery from URL parameters (any mapping of str to str); what is wrong is said in
    `problems` and left out, so a bad link still shows a list."""
    problems: list[str] = []

    def get(name: str) -> str:
        return (params.get(name) or "").strip()

    values: dict = {name: get(name)[:200] for name in ("q", "annotator", "label", "extractor")}
    state = get("state").replace(" ", "_")
    if state and states and state not in states:
        problems.append(f"state: one of {', '.join(states)}")
        state = ""
    status = get("status")
    if status and status not in STATUSES:
        problems.append(f"status: one of {', '.join(STATUSES)}")
        status = ""
    gold = get("gold")
    gold = gold if gold in ("yes", "no") else ""
    label_in = get("label_in") if get("label_in") in LABEL_LAYERS else "gold"
    sort = get("sort") if get("sort") in SORTS else "order"
    size = _number(get("size"), int, "size", problems) if get("size") else PAGE_SIZE
    size = max(1, min(MAX_PAGE_SIZE, size or PAGE_SIZE))
    umin = _number(get("umin"), float, "umin", problems) if get("umin") else None
    umax = _number(get("umax"), float, "umax", problems) if get("umax") else None
    batch = _number(get("batch"), int, "batch", problems) if get("batch") else None
    ids = tuple(int(i) for i in re.findall(r"\d+", get("ids"))[:MAX_PAGE_SIZE * 5])
    meta = []
    if "=" in get("meta"):  # the form's one field, "key=value"
        key, value = get("meta").split("=", 1)
        params = {**{k: params.get(k) for k in params.keys()}, f"meta.{key.strip()}": value}
    for name in sorted(params.keys()) if hasattr(params, "keys") else []:
        if name.startswith("meta.") and get(name):
            key = name[5:]
            if META_KEY.match(key):
                meta.append((key, get(name)[:200]))
            else:
                problems.append(f"{name}: a metadata key is letters, digits, _ or - (at most 64)")
    after = decode_cursor(get("after"), sort, problems)
    before = None if after is not None else decode_cursor(get("before"), sort, problems)
    return ListQuery(
        **values, state=state, status=status, gold=gold, label_in=label_in, disagreement=get("disagreement") in ("1", "on", "yes"),
        umin=umin, umax=umax, batch=batch, ids=ids, meta=tuple(meta), sort=sort, size=size,
        after=after, before=before, problems=tuple(problems),
    )


# ---------------------------------------------------------------- cursors


def encode_cursor(key: tuple) -> str:
    """A row's sort key as a short URL-safe token (datetimes as ISO 8601)."""
    plain = [{"t": value.isoformat()} if isinstance(value, datetime) else value for value in key]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str, problems: list[str]) -> tuple | None:
    """The sort key a token holds, checked against the sort's shape; None (and a problem told) if it is not one."""
    if not token:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(plain, list) or len(plain) != len(SORTS[sort]):
            raise ValueError
        key = tuple(datetime.fromisoformat(v["t"]) if isinstance(v, dict) else v for v in plain)
        if not all(isinstance(v, (int, float, datetime)) and not isinstance(v, bool) for v in key):
            raise ValueError
        if not isinstance(key[-1], int):
            raise ValueError
        return key
    except (ValueError, TypeError, KeyError, json.JSONDecodeError):
        problems.append("the page link is not one of this list's; showing the first page")
        return None
