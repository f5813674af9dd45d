"""Agreement and conflict clusters, without a database."""

from annotator.adjudication import adjudicate
from annotator.spans import Span


def test_agreed_spans_and_conflicts():
    a = [Span(0, 5, "ACTOR"), Span(10, 15, "LOCATION"), Span(20, 30, "ACTOR"), Span(40, 45, "QUANTITY")]
    b = [Span(0, 5, "ACTOR"), Span(10, 15, "ACTOR"), Span(20, 25, "ACTOR"), Span(26, 30, "ACTOR")]
    agreed, conflicts = adjudicate({"bob": b, "alice": a})
    assert agreed == [Span(0, 5, "ACTOR")]
    assert [(c.start, c.end) for c in conflicts] == [(10, 15), (20, 30), (40, 45)]
    label, split, missing = conflicts
    assert label.option("alice") == (Span(10, 15, "LOCATION"),) and label.option("bob") == (Span(10, 15, "ACTOR"),)
    assert split.option("bob") == (Span(20, 25, "ACTOR"), Span(26, 30, "ACTOR"))
    assert missing.option("bob") == () and missing.key == "40-45"
    assert [name for name, _ in label.options] == ["alice", "bob"]


def test_full_agreement_and_a_single_annotator_have_no_conflicts():
    spans = [Span(0, 5, "ACTOR")]
    assert adjudicate({"a": spans, "b": list(spans)}) == (spans, [])
    assert adjudicate({"a": spans}) == (spans, [])
    assert adjudicate({}) == ([], [])


def test_chained_overlaps_form_one_cluster():
    a = [Span(0, 10, "ACTOR"), Span(12, 20, "ACTOR")]
    b = [Span(5, 14, "LOCATION")]
    agreed, conflicts = adjudicate({"a": a, "b": b})
    assert agreed == [] and [(c.start, c.end) for c in conflicts] == [(0, 20)]
