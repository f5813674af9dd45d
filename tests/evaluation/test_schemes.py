"""Every number of `evaluate --json` (annotator/evaluation/schemes.py), on the hand-worked vector and by property."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.evaluation.schemes import SCHEMES, evaluate, evaluate_records

from . import reference as span_scores
from .vector import GOLD, LABELS, PRED, TEXT, on

SEMEVAL_TABLE = {  # scheme: (COR, INC, PAR, MIS, SPU, P = R = F1), from EVAL_VECTOR.md
    "strict": (1, 2, 0, 1, 1, 0.25),
    "exact": (2, 1, 0, 1, 1, 0.5),
    "partial": (2, 0, 1, 1, 1, 0.625),
    "type": (2, 1, 0, 1, 1, 0.5),
}


@pytest.fixture
def vector():
    return evaluate(on("d", GOLD), on("d", PRED), labels=LABELS).as_dict()


def test_the_json_has_the_contract_shape(vector):
    assert vector["documents"] == 1
    assert set(vector["schemes"]) == set(SCHEMES)
    for scheme, result in vector["schemes"].items():
        assert set(result) == {"micro", "macro", "per_label"}
        assert list(result["per_label"]) == LABELS
        for entry in [result["micro"], result["macro"], *result["per_label"].values()]:
            assert {"precision", "recall", "f1"} <= set(entry)
            if scheme in ("strict", "unlabelled"):
                assert {"tp", "fp", "fn"} <= set(entry)
            else:
                assert {"cor", "inc", "par", "mis", "spu"} <= set(entry)
    json.dumps(vector)  # plain data


def test_vector_strict(vector):
    strict = vector["schemes"]["strict"]
    micro = strict["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (1, 3, 3)
    assert micro["precision"] == micro["recall"] == micro["f1"] == 0.25
    assert {label: e["f1"] for label, e in strict["per_label"].items()} == {"ACTOR": 0.5, "LOCATION": 0.0, "QUANTITY": 0.0}
    assert [(e["tp"], e["fp"], e["fn"]) for e in strict["per_label"].values()] == [(1, 1, 1), (0, 1, 1), (0, 1, 1)]
    assert strict["macro"]["f1"] == pytest.approx(1 / 6)
    assert round(strict["macro"]["f1"], 4) == 0.1667


@pytest.mark.parametrize("scheme", list(SEMEVAL_TABLE))
def test_vector_semeval_schemes(vector, scheme):
    cor, inc, par, mis, spu, prf = SEMEVAL_TABLE[scheme]
    micro = vector["schemes"][scheme]["micro"]
    assert (micro["cor"], micro["inc"], micro["par"], micro["mis"], micro["spu"]) == (cor, inc, par, mis, spu)
    assert micro["precision"] == micro["recall"] == micro["f1"] == pytest.approx(prf)


def test_vector_unlabelled(vector):
    micro = vector["schemes"]["unlabelled"]["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"], micro["f1"]) == (2, 2, 2, 0.5)


def test_vector_confusion_and_kinds(vector):
    confusion = vector["confusion"]
    assert confusion["labels"] == LABELS
    #                          ACTOR LOC QUANT none
    assert confusion["matrix"] == [
        [1, 0, 0, 1],  # ACTOR: Police officers right, Sinaloa cartel missed
        [0, 0, 0, 0],  # LOCATION: only a boundary error
        [1, 0, 0, 0],  # QUANTITY: 3 kilograms called ACTOR
        [0, 0, 1, 0],  # none: Monday is spurious
    ]
    assert confusion["boundary"] == [0, 1, 0]
    assert vector["kinds"] == {"correct": 1, "label": 1, "boundary": 1, "label_boundary": 0, "missed": 1, "spurious": 1}
    assert vector["kinds_per_label"]["QUANTITY"]["spurious"] == 1  # spurious spans count for their own label


def test_per_label_semeval_matches_one_label_at_a_time(vector):
    # As nervaluate 1.2 does: the ACTOR "3 kilograms" is, for ACTOR, spurious; for QUANTITY the gold one is missed.
    actor = vector["schemes"]["exact"]["per_label"]["ACTOR"]
    assert (actor["cor"], actor["inc"], actor["mis"], actor["spu"]) == (1, 0, 1, 1)
    location = vector["schemes"]["partial"]["per_label"]["LOCATION"]
    assert (location["cor"], location["par"], location["f1"]) == (0, 1, 0.5)
    assert vector["schemes"]["type"]["per_label"]["LOCATION"]["f1"] == 1.0


def test_labels_of_the_project_without_spans_count_in_macro():
    result = evaluate([("d", "ACTOR", 0, 5)], [("d", "ACTOR", 0, 5)], labels=["ACTOR", "LOCATION"]).as_dict()
    strict = result["schemes"]["strict"]
    assert strict["micro"]["f1"] == 1.0
    assert strict["per_label"]["LOCATION"]["f1"] == 0.0  # 0/0 is 0
    assert strict["macro"]["f1"] == 0.5


def test_documents_without_predictions_count_as_all_missed_and_others_are_left_out():
    gold = [("a", "ACTOR", 0, 5), ("b", "ACTOR", 0, 5)]
    pred = [("a", "ACTOR", 0, 5), ("not-gold", "ACTOR", 0, 5)]
    result = evaluate(gold, pred, documents=["a", "b", "empty"]).as_dict()
    assert result["documents"] == 3
    micro = result["schemes"]["strict"]["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (1, 0, 1)


def test_nothing_to_score_is_all_zero():
    result = evaluate([], []).as_dict()
    assert result["documents"] == 0
    for scheme in result["schemes"].values():
        assert scheme["micro"]["f1"] == 0.0 and scheme["macro"]["f1"] == 0.0 and scheme["per_label"] == {}


def test_evaluate_records_reads_canonical_records():
    gold = [{"id": "d", "text": TEXT, "spans": [{"start": s, "end": e, "label": label} for label, s, e in GOLD]}]
    pred = [{"id": "d", "text": TEXT, "spans": [{"start": s, "end": e, "label": label} for label, s, e in PRED]}]
    pred.append({"id": "other", "text": "x", "spans": [{"start": 0, "end": 1, "label": "ACTOR"}]})
    result = evaluate_records(gold, pred).as_dict()
    assert result["documents"] == 1
    assert result["schemes"]["partial"]["micro"]["f1"] == 0.625


def test_outcomes_are_kept_when_asked():
    result = evaluate(on("d", GOLD), on("d", PRED), keep_outcomes=True)
    assert [o.kind for o in result.outcomes["d"]] == ["correct", "boundary", "label", "missed", "spurious"]
    assert evaluate(on("d", GOLD), on("d", PRED)).outcomes is None


# ---------------------------------------------------------------- properties

documents = st.lists(
    st.tuples(
        st.sampled_from(["d1", "d2", "d3"]),
        st.sampled_from(["ACTOR", "LOCATION", "QUANTITY"]),
        st.integers(0, 80),
        st.integers(1, 15),
    ).map(lambda t: (t[0], t[1], t[2], t[2] + t[3])),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(documents, documents, st.randoms())
def test_properties(gold, pred, rnd: random.Random):
    result = evaluate(gold, pred, labels=["ACTOR"]).as_dict()
    schemes = result["schemes"]
    n_gold, n_pred = len(set(gold)), len(set(pred))
    for name in ("strict", "exact", "partial", "type"):
        m = schemes[name]["micro"]
        assert m["cor"] + m["inc"] + m["par"] + m["mis"] == n_gold  # POS
        assert m["cor"] + m["inc"] + m["par"] + m["spu"] == n_pred  # ACT
        for entry in [m, *schemes[name]["per_label"].values()]:
            assert 0 <= entry["precision"] <= 1 and 0 <= entry["recall"] <= 1 and 0 <= entry["f1"] <= 1
    # Looser schemes never score lower.
    assert schemes["partial"]["micro"]["f1"] >= schemes["exact"]["micro"]["f1"] >= schemes["strict"]["micro"]["f1"]
    assert schemes["type"]["micro"]["f1"] >= schemes["strict"]["micro"]["f1"]
    # strict and unlabelled agree with plain set arithmetic (reference.py), micro and per label.
    old = span_scores.strict(gold, pred)
    for key in ("tp", "fp", "fn", "precision", "recall", "f1"):
        assert schemes["strict"]["micro"][key] == pytest.approx(old["micro"][key])
        for label, entry in old["per_label"].items():
            assert schemes["strict"]["per_label"][label][key] == pytest.approx(entry[key])
    old_unlabelled = span_scores.unlabelled(gold, pred)
    for key in ("tp", "fp", "fn", "f1"):
        assert schemes["unlabelled"]["micro"][key] == pytest.approx(old_unlabelled[key])
    # The confusion table adds up: rows (plus boundary errors) to gold spans, columns to predictions.
    confusion = result["confusion"]
    n = len(confusion["labels"])
    for i, label in enumerate(confusion["labels"]):
        row = sum(confusion["matrix"][i]) + confusion["boundary"][i]
        column = sum(confusion["matrix"][r][i] for r in range(n + 1)) + confusion["boundary"][i]
        assert row == sum(1 for s in set(gold) if s[1] == label)
        assert column == sum(1 for s in set(pred) if s[1] == label)
    assert sum(result["kinds"].values()) == result["schemes"]["strict"]["micro"]["cor"] + sum(
        result["kinds"][k] for k in ("label", "boundary", "label_boundary", "missed", "spurious")
    )
    # Strict is symmetric: swapping the sides swaps precision and recall.
    swapped = evaluate(pred, gold, labels=["ACTOR"]).as_dict()["schemes"]["strict"]["micro"]
    assert swapped["precision"] == pytest.approx(schemes["strict"]["micro"]["recall"])
    # The order of the input does not matter.
    rnd.shuffle(gold)
    rnd.shuffle(pred)
    assert evaluate(gold, pred, labels=["ACTOR"]).as_dict() == result
