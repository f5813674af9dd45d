"""The one-to-one matching of predictions to gold (annotator/evaluation/matching.py)."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.evaluation import matching
from annotator.evaluation.matching import BOUNDARY, CORRECT, LABEL, LABEL_BOUNDARY, MISSED, SPURIOUS, Outcome

from .vector import GOLD, PRED


def test_the_vector_outcomes():
    found = matching.outcomes(matching.match(GOLD, PRED))
    assert found == [
        Outcome(CORRECT, ("ACTOR", 0, 15), ("ACTOR", 0, 15)),
        Outcome(BOUNDARY, ("LOCATION", 19, 32), ("LOCATION", 23, 32)),
        Outcome(LABEL, ("QUANTITY", 40, 51), ("ACTOR", 40, 51)),
        Outcome(MISSED, ("ACTOR", 72, 86), None),
        Outcome(SPURIOUS, None, ("QUANTITY", 90, 96)),
    ]


def test_largest_overlap_wins():
    gold = [("ACTOR", 0, 10)]
    pred = [("ACTOR", 0, 3), ("ACTOR", 4, 10)]
    result = matching.match(gold, pred)
    assert result.pairs == [(("ACTOR", 0, 10), ("ACTOR", 4, 10))]
    assert result.spurious == [("ACTOR", 0, 3)]


def test_same_extent_wins_a_tie_then_same_label_then_position():
    # Both predictions overlap the gold span by 5 characters; the one with its extent wins though its label differs.
    gold = [("ACTOR", 5, 10)]
    pred = [("ACTOR", 5, 12), ("LOCATION", 5, 10)]
    assert matching.match(gold, pred).pairs == [(("ACTOR", 5, 10), ("LOCATION", 5, 10))]
    # Equal overlap and neither extent equal: the same label wins.
    pred = [("LOCATION", 3, 10), ("ACTOR", 5, 12)]
    assert matching.match(gold, pred).pairs == [(("ACTOR", 5, 10), ("ACTOR", 5, 12))]
    # All else equal: the earlier prediction.
    pred = [("ACTOR", 5, 12), ("ACTOR", 3, 10)]
    assert matching.match(gold, pred).pairs == [(("ACTOR", 5, 10), ("ACTOR", 3, 10))]


def test_touching_spans_do_not_overlap():
    result = matching.match([("ACTOR", 0, 5)], [("ACTOR", 5, 9)])
    assert result.pairs == [] and result.missed == [("ACTOR", 0, 5)] and result.spurious == [("ACTOR", 5, 9)]


def test_label_and_boundary_error():
    found = matching.outcomes(matching.match([("ACTOR", 0, 10)], [("LOCATION", 2, 10)]))
    assert [o.kind for o in found] == [LABEL_BOUNDARY]
    assert found[0].start == 0 and found[0].end == 10 and found[0].labels == {"ACTOR", "LOCATION"}


def test_per_label_matching_pairs_only_one_label():
    # Globally the LOCATION prediction takes the ACTOR gold span (larger overlap); per label, the ACTOR one does.
    gold = [("ACTOR", 0, 10)]
    pred = [("LOCATION", 0, 9), ("ACTOR", 6, 10)]
    result = matching.match(gold, pred)
    assert result.pairs == [(("ACTOR", 0, 10), ("LOCATION", 0, 9))]
    assert result.same_label_pairs == [(("ACTOR", 0, 10), ("ACTOR", 6, 10))]


spans = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 60), st.integers(1, 12)).map(
        lambda t: (t[0], t[1], t[1] + t[2])
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(spans, spans, st.randoms())
def test_matching_is_one_to_one_complete_and_independent_of_order(gold, pred, rnd: random.Random):
    result = matching.match(gold, pred)
    paired_gold = [g for g, _ in result.pairs] + result.exact
    paired_pred = [p for _, p in result.pairs] + result.exact
    assert len(set(paired_gold)) == len(paired_gold) and len(set(paired_pred)) == len(paired_pred)
    assert sorted(paired_gold + result.missed) == sorted(set(gold))
    assert sorted(paired_pred + result.spurious) == sorted(set(pred))
    for g, p in result.pairs:
        assert g[1] < p[2] and p[1] < g[2] and g != p
    # Nothing left unpaired could have been paired: the matching is maximal.
    for g in result.missed:
        assert not any(g[1] < p[2] and p[1] < g[2] for p in result.spurious)
    rnd.shuffle(gold)
    rnd.shuffle(pred)
    assert matching.match(gold, pred) == result


@settings(max_examples=200, deadline=None)
@given(spans, spans)
def test_candidates_are_every_overlapping_pair(gold, pred):
    gold, pred = sorted(set(gold)), sorted(set(pred))
    brute = {(g, p) for g in gold for p in pred if g[1] < p[2] and p[1] < g[2]}
    assert set(matching.candidates(gold, pred)) == brute
