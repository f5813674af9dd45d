"""What the evaluation page draws, as plain data: text pieces with their errors, and chart geometry.

Pure: no Django, no HTML. The templates turn these into markup and inline
SVG, escaping every text (document texts and labels are user data).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from .matching import BOUNDARY, CORRECT, LABEL, LABEL_BOUNDARY, MISSED, SPURIOUS, Outcome

# The error browser's filters: a name, what it shows, and which outcomes it keeps.
KIND_FILTERS = {
    "errors": ("All errors", {LABEL, BOUNDARY, LABEL_BOUNDARY, MISSED, SPURIOUS}),
    "spurious": ("False positives (spurious)", {SPURIOUS}),
    "missed": ("False negatives (missed)", {MISSED}),
    "boundary": ("Boundary errors", {BOUNDARY, LABEL_BOUNDARY}),
    "label": ("Label errors", {LABEL, LABEL_BOUNDARY}),
    "correct": ("Correct", {CORRECT}),
    "all": ("Everything", {CORRECT, LABEL, BOUNDARY, LABEL_BOUNDARY, MISSED, SPURIOUS}),
}

KIND_NAMES = {
    CORRECT: "correct",
    LABEL: "label error",
    BOUNDARY: "boundary error",
    LABEL_BOUNDARY: "label and boundary error",
    MISSED: "missed (FN)",
    SPURIOUS: "spurious (FP)",
}


def keep(outcome: Outcome, kinds: set[str], label: str | None) -> bool:
    return outcome.kind in kinds and (not label or label in outcome.labels)


def tag_of(outcome: Outcome) -> str:
    """The short note shown after an outcome in the text."""
    gold, pred = outcome.gold, outcome.pred
    if outcome.kind == CORRECT:
        return gold[0]
    if outcome.kind == MISSED:
        return f"missed {gold[0]}"
    if outcome.kind == SPURIOUS:
        return f"spurious {pred[0]}"
    if outcome.kind == LABEL:
        return f"{gold[0]} → {pred[0]}"
    if outcome.kind == BOUNDARY:
        return f"{gold[0]}: boundary"
    return f"{gold[0]} → {pred[0]}, boundary"


def title_of(outcome: Outcome, text: str) -> str:
    """The tooltip of an outcome: what the gold and the prediction say."""
    parts = [KIND_NAMES[outcome.kind]]
    if outcome.gold:
        label, start, end = outcome.gold
        parts.append(f"gold {label} “{text[start:end]}”")
    if outcome.pred:
        label, start, end = outcome.pred
        parts.append(f"predicted {label} “{text[start:end]}”")
    return "; ".join(parts)


@dataclass
class Piece:
    """A stretch of text; `kind` is None outside every shown outcome."""

    text: str
    kind: str | None = None
    gold: bool = False  # inside the gold span of the outcome (drawn underlined)
    pred: bool = False  # inside the predicted span (drawn shaded)
    title: str = ""
    tags: list[tuple[str, str]] = field(default_factory=list)  # (kind, note) shown after the piece


def pieces(text: str, outcomes: list[Outcome], window: tuple[int, int] | None = None) -> list[Piece]:
    """Cut `text` (or its `window`, start and end) at every boundary of the outcomes; each piece knows
    what covers it.

    Where outcomes overlap (a missed gold span under a prediction paired with
    another one), the earlier outcome colours the piece; both notes are shown.
    """
    low, high = window if window is not None else (0, len(text))
    cuts = {low, high}
    for outcome in outcomes:
        for span in (outcome.gold, outcome.pred):
            if span is not None:
                cuts.update((max(low, min(span[1], high)), max(low, min(span[2], high))))
    cuts = sorted(cuts)
    result = [Piece(text[a:b]) for a, b in zip(cuts, cuts[1:])]
    starts = cuts[:-1]
    for outcome in outcomes:
        first = bisect_right(starts, outcome.start) - 1
        last = max(first, bisect_right(starts, outcome.end - 1) - 1)
        title = title_of(outcome, text)
        for i in range(max(first, 0), last + 1):
            piece, at = result[i], starts[i]
            in_gold = outcome.gold is not None and outcome.gold[1] <= at < outcome.gold[2]
            in_pred = outcome.pred is not None and outcome.pred[1] <= at < outcome.pred[2]
            if not (in_gold or in_pred):
                continue
            if piece.kind is None:
                piece.kind, piece.title = outcome.kind, title
            piece.gold |= in_gold
            piece.pred |= in_pred
        result[last].tags.append((outcome.kind, tag_of(outcome)))
    return [p for p in result if p.text or p.tags]


# ---------------------------------------------------------------- excerpts around errors

# Characters of context on each side of an outcome, widened to whole words; never across a paragraph.
CONTEXT = 60


@dataclass
class Excerpt:
    """A stretch of a document around one or more outcomes, cut into pieces; `start`/`end` in the text."""

    start: int
    end: int
    pieces: list[Piece]
    cut_before: bool  # text left out before it (drawn as …)
    cut_after: bool


def _excerpt_start(text: str, at: int, context: int) -> int:
    """Where an excerpt before offset `at` starts: about `context` characters back, at a word's start,
    after the last line break in between."""
    begin = max(0, at - context)
    head = text[begin:at]
    newline = max(head.rfind("\n"), -1)
    if newline >= 0:
        return begin + newline + 1
    if begin == 0:
        return 0
    space = next((i for i, c in enumerate(head) if c.isspace()), None)
    return begin + space + 1 if space is not None else at


def _excerpt_end(text: str, at: int, context: int) -> int:
    """Where an excerpt after offset `at` ends: about `context` characters on, at a word's end,
    before the first line break in between."""
    end = min(len(text), at + context)
    tail = text[at:end]
    newline = tail.find("\n")
    if newline >= 0:
        return at + newline
    if end == len(text):
        return end
    space = next((i for i in range(len(tail) - 1, -1, -1) if tail[i].isspace()), None)
    return at + space if space is not None else at


def excerpts(text: str, outcomes: list[Outcome], context: int = CONTEXT) -> list[Excerpt]:
    """The outcomes in their context: a window of about `context` characters each side (whole words,
    within the paragraph), windows that touch merged, each cut into pieces. Not the whole document."""
    windows: list[list] = []
    for outcome in sorted(outcomes, key=lambda o: (o.start, o.end)):
        start = min(_excerpt_start(text, outcome.start, context), outcome.start)
        end = max(_excerpt_end(text, outcome.end, context), outcome.end)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
            windows[-1][2].append(outcome)
        else:
            windows.append([start, end, [outcome]])
    return [
        Excerpt(start, end, pieces(text, found, (start, end)), start > 0, end < len(text))
        for start, end, found in windows
    ]


# ---------------------------------------------------------------- charts


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    series: str
    group: str


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    groups: list[tuple[float, str]]  # (x of the group's middle, label)
    ticks: list[Tick]
    series: list[str]
    left: int
    bottom: float


def bar_chart(rows: dict[str, dict[str, float]], series=("precision", "recall", "f1"), *, height=220) -> BarChart:
    """Grouped bars, one group per row (label), one bar per series, values in [0, 1]."""
    left, right, top, bottom_margin = 40, 10, 10, 28
    bar, gap, group_gap = 16, 3, 26
    group_width = len(series) * (bar + gap) - gap
    width = left + right + max(1, len(rows)) * (group_width + group_gap)
    plot = height - top - bottom_margin
    bottom = top + plot
    bars, groups = [], []
    for g, (name, values) in enumerate(rows.items()):
        x0 = left + group_gap / 2 + g * (group_width + group_gap)
        groups.append((x0 + group_width / 2, name))
        for s, key in enumerate(series):
            value = max(0.0, min(1.0, float(values.get(key) or 0.0)))
            h = value * plot
            bars.append(Bar(x0 + s * (bar + gap), bottom - h, bar, h, value, key, name))
    ticks = [Tick(bottom - t * plot, f"{t:.2f}".rstrip("0").rstrip(".") if t else "0") for t in (0, 0.25, 0.5, 0.75, 1)]
    return BarChart(width, height, bars, groups, ticks, list(series), left, bottom)


@dataclass
class Cell:
    x: int
    y: int
    count: int
    share: float  # of its row, for the colour
    diagonal: bool
    row: str
    column: str
    size: int = 0

    @property
    def cx(self) -> int:
        return self.x + (self.size - 2) // 2

    @property
    def cy(self) -> int:
        return self.y + (self.size - 2) // 2

    @property
    def opacity(self) -> float:
        """The fill's opacity: the cell's share of its row, faint but visible for any count."""
        return max(0.08, self.share) if self.count else 0.0


@dataclass
class HeatMap:
    width: int
    height: int
    cell: int
    left: int
    top: int
    cells: list[Cell]
    rows: list[tuple[int, str]]
    columns: list[tuple[int, str]]


NO_SPAN = "(none)"


def heat_map(confusion: dict, *, cell: int = 54) -> HeatMap:
    """The confusion table as cells: rows gold labels, columns predicted labels, plus "none" and boundary."""
    names = list(confusion["labels"])
    rows = names + [NO_SPAN]
    columns = names + [NO_SPAN, "boundary"]
    matrix = confusion["matrix"]
    boundary = list(confusion["boundary"]) + [0]
    left = 12 + 8 * max([len(n) for n in rows] + [6])
    top = 12 + 5 * max(len(n) for n in columns)  # column names are drawn slanted
    cells = []
    for r, row in enumerate(rows):
        counts = list(matrix[r]) + [boundary[r]]
        total = sum(counts)
        for c, column in enumerate(columns):
            if r == len(names) and c >= len(names):
                continue  # no span against no span (and no boundary) means nothing
            count = counts[c]
            cells.append(
                Cell(left + c * cell, top + r * cell, count, count / total if total else 0.0, r == c, row, column, cell)
            )
    return HeatMap(
        width=left + len(columns) * cell + 60,
        height=top + len(rows) * cell + 10,
        cell=cell,
        left=left,
        top=top,
        cells=cells,
        rows=[(top + r * cell + cell // 2, name) for r, name in enumerate(rows)],
        columns=[(left + c * cell + cell // 2, name) for c, name in enumerate(columns)],
    )


@dataclass
class Point:
    x: float
    y: float
    value: float
    title: str


@dataclass
class Line:
    name: str
    points: list[Point]

    @property
    def path(self) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points))


@dataclass
class LineChart:
    width: int
    height: int
    lines: list[Line]
    ticks: list[Tick]
    left: int
    right_edge: int
    bottom: float


def line_chart(series: dict[str, list[tuple[float, str]]], *, width=640, height=200) -> LineChart:
    """Lines over runs (x is the run's place), values in [0, 1]; each point carries a title."""
    left, right, top, bottom_margin = 40, 14, 10, 20
    plot_w, plot_h = width - left - right, height - top - bottom_margin
    bottom = top + plot_h
    n = max((len(points) for points in series.values()), default=0)
    step = plot_w / (n - 1) if n > 1 else 0
    lines = []
    for name, points in series.items():
        drawn = []
        for i, (value, title) in enumerate(points):
            value = max(0.0, min(1.0, float(value or 0.0)))
            x = left + (i * step if n > 1 else plot_w / 2)
            drawn.append(Point(x, bottom - value * plot_h, value, title))
        lines.append(Line(name, drawn))
    ticks = [Tick(bottom - t * plot_h, f"{t:.2f}".rstrip("0").rstrip(".") if t else "0") for t in (0, 0.25, 0.5, 0.75, 1)]
    return LineChart(width, height, lines, ticks, left, width - right, bottom)
