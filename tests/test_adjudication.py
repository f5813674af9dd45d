"""Agreement and conflict clusters, without a database."""

from annotator.adjudication import Item, adjudicate


def test_agreed_spans_and_conflicts():
    a = [Item(0, 5, "ACTOR"), Item(10, 15, "LOCATION"), Item(20, 30, "ACTOR"), Item(40, 45, "QUANTITY")]
    b = [Item(0, 5, "ACTOR"), Item(10, 15, "ACTOR"), Item(20, 25, "ACTOR"), Item(26, 30, "ACTOR")]
    agreed, conflicts = adjudicate({"bob": b, "alice": a})
    assert agreed == [Item(0, 5, "ACTOR")]
    assert [(c.start, c.end) for c in conflicts] == [(10, 15), (20, 30), (40, 45)]
    label, split, missing = conflicts
    assert label.option("alice") == (Item(10, 15, "LOCATION"),) and label.option("bob") == (Item(10, 15, "ACTOR"),)
    assert split.option("bob") == (Item(20, 25, "ACTOR"), Item(26, 30, "ACTOR"))
    assert missing.option("bob") == () and missing.key == "40-45"
    assert [name for name, _ in label.options] == ["alice", "bob"]


def test_full_agreement_and_a_single_annotator_have_no_conflicts():
    spans = [Item(0, 5, "ACTOR")]
    assert adjudicate({"a": spans, "b": list(spans)}) == (spans, [])
    assert adjudicate({"a": spans}) == (spans, [])
    assert adjudicate({}) == ([], [])


def test_chained_overlaps_form_one_cluster():
    a = [Item(0, 10, "ACTOR"), Item(12, 20, "ACTOR")]
    b = [Item(5, 14, "LOCATION")]
    agreed, conflicts = adjudicate({"a": a, "b": b})
    assert agreed == [] and [(c.start, c.end) for c in conflicts] == [(0, 20)]
