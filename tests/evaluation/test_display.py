"""What the evaluation page draws (annotator/evaluation/display.py): text pieces and chart geometry."""

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.evaluation import display, matching
from annotator.evaluation.schemes import evaluate

from .vector import GOLD, LABELS, PRED, TEXT, on


def vector_outcomes():
    return matching.outcomes(matching.match(GOLD, PRED))


def test_pieces_of_the_vector():
    pieces = display.pieces(TEXT, vector_outcomes())
    assert "".join(p.text for p in pieces) == TEXT
    marked = [(p.text, p.kind, p.gold, p.pred) for p in pieces if p.kind]
    assert marked == [
        ("Police officers", "correct", True, True),
        ("New ", "boundary", True, False),
        ("York City", "boundary", True, True),
        ("3 kilograms", "label", True, True),
        ("Sinaloa cartel", "missed", True, False),
        ("Monday", "spurious", False, True),
    ]
    tags = [tag for p in pieces for tag in p.tags]
    assert tags == [
        ("correct", "ACTOR"),
        ("boundary", "LOCATION: boundary"),
        ("label", "QUANTITY → ACTOR"),
        ("missed", "missed ACTOR"),
        ("spurious", "spurious QUANTITY"),
    ]
    york = next(p for p in pieces if p.text == "York City")
    assert york.title == "boundary error; gold LOCATION “New York City”; predicted LOCATION “York City”"


def test_filters():
    outcomes = vector_outcomes()
    errors = display.KIND_FILTERS["errors"][1]
    assert [o.kind for o in outcomes if display.keep(o, errors, "")] == ["boundary", "label", "missed", "spurious"]
    assert [o.kind for o in outcomes if display.keep(o, errors, "ACTOR")] == ["label", "missed"]
    label_kinds = display.KIND_FILTERS["label"][1]
    assert [o.kind for o in outcomes if display.keep(o, label_kinds, "")] == ["label"]


spans = st.lists(
    st.tuples(st.sampled_from(["A", "B"]), st.integers(0, 50), st.integers(1, 10)).map(lambda t: (t[0], t[1], t[1] + t[2])),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(spans, spans)
def test_pieces_keep_the_text_and_every_note(gold, pred):
    text = "x" * 70
    outcomes = matching.outcomes(matching.match(gold, pred))
    pieces = display.pieces(text, outcomes)
    assert "".join(p.text for p in pieces) == text
    assert sum(len(p.tags) for p in pieces) == len(outcomes)
    covered = {i for o in outcomes for s in (o.gold, o.pred) if s for i in range(s[1], s[2])}
    at = 0
    for piece in pieces:
        assert (piece.kind is not None) == (at in covered) or not piece.text
        at += len(piece.text)


def test_charts():
    result = evaluate(on("d", GOLD), on("d", PRED), labels=LABELS).as_dict()
    bars = display.bar_chart(result["schemes"]["strict"]["per_label"])
    assert len(bars.bars) == 9 and [name for _, name in bars.groups] == LABELS
    actor_f1 = next(b for b in bars.bars if b.group == "ACTOR" and b.series == "f1")
    assert actor_f1.value == 0.5 and abs(actor_f1.height - (bars.bottom - actor_f1.y)) < 1e-9
    heat = display.heat_map(result["confusion"])
    assert len(heat.cells) == 4 * 5 - 2  # (none) x (none) and (none) x boundary are not drawn
    spurious = next(c for c in heat.cells if c.row == "(none)" and c.column == "QUANTITY")
    assert spurious.count == 1 and spurious.opacity == 1.0
    line = display.line_chart({"strict F1": [(0.25, "a"), (0.5, "b")]})
    assert line.lines[0].path.startswith("M") and line.lines[0].points[1].y < line.lines[0].points[0].y
