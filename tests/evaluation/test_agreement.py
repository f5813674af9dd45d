"""Inter-annotator agreement (annotator/evaluation/agreement.py): the EVAL_VECTOR numbers and the coefficients."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from annotator.evaluation.agreement import (
    agreement,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    token_offsets,
    token_tags,
)

from .vector import GOLD, LABELS, PRED, TEXT


@pytest.fixture(scope="module")
def vector():
    return agreement({"A": {"d": GOLD}, "B": {"d": PRED}}, texts={"d": TEXT}, labels=LABELS)


def test_vector_tokens():
    tokens = token_offsets(TEXT)
    assert len(tokens) == 18
    assert token_tags(tokens, GOLD)[:7] == ["ACTOR", "ACTOR", "O", "LOCATION", "LOCATION", "LOCATION", "O"]
    assert token_tags(tokens, PRED, "bio")[3:9] == ["O", "B-LOCATION", "I-LOCATION", "O", "B-ACTOR", "I-ACTOR"]


def test_vector_pair(vector):
    (pair,) = vector["pairs"]
    assert (pair["a"], pair["b"], pair["documents"]) == ("A", "B", 1)
    assert pair["f1_strict"] == pytest.approx(0.25)
    assert pair["f1_unlabelled"] == pytest.approx(0.5)
    assert round(pair["cohen_kappa"], 4) == 0.4627
    assert pair["cohen_kappa"] == pytest.approx((12 / 18 - 123 / 324) / (1 - 123 / 324))


def test_vector_krippendorff(vector):
    assert round(vector["krippendorff_alpha"], 4) == 0.4737
    assert vector["fleiss_kappa"] is None  # two annotators: Cohen's kappa is the figure
    assert vector["tokens"] == 18


def test_vector_bio_kappa():
    result = agreement({"A": {"d": GOLD}, "B": {"d": PRED}}, texts={"d": TEXT}, tags="bio")
    assert round(result["pairs"][0]["cohen_kappa"], 4) == 0.4085


def test_vector_overall_and_the_agreement_json_shape(vector):
    overall = vector["overall"]
    for key in ("documents", "f1_strict", "f1_unlabelled", "f1_overlap", "cohen_kappa"):
        assert overall[key] == vector["pairs"][0][key]
    assert set(vector["pairs"][0]) >= {"a", "b", "documents", "f1_strict", "f1_unlabelled", "f1_overlap", "cohen_kappa"}
    assert list(vector["per_label"]) == LABELS


def test_vector_per_label(vector):
    per_label = vector["pairs"][0]["per_label"]
    assert per_label["ACTOR"]["f1_strict"] == 0.5
    assert per_label["LOCATION"]["f1_overlap"] == 1.0
    assert per_label["ACTOR"]["documents"] == 1
    # Per label a token is that label or not: ACTOR on 4 tokens each, agreeing on 2 of them, 12 agree as not-ACTOR.
    assert per_label["ACTOR"]["cohen_kappa"] == pytest.approx(cohen_kappa_score(
        [t == "ACTOR" for t in token_tags(token_offsets(TEXT), GOLD)],
        [t == "ACTOR" for t in token_tags(token_offsets(TEXT), PRED)],
    ))


def test_given_token_offsets_are_used_instead_of_the_text():
    tokens = {"d": [(0, 6), (7, 15), (16, 18)]}
    result = agreement({"A": {"d": [("ACTOR", 0, 15)]}, "B": {"d": [("ACTOR", 0, 6)]}}, tokens=tokens)
    assert result["tokens"] == 3
    assert result["pairs"][0]["cohen_kappa"] == pytest.approx(cohen_kappa_score(["ACTOR", "ACTOR", "O"], ["ACTOR", "O", "O"]))


def test_only_shared_documents_count_and_per_document_ranking():
    texts = {"one": "Rebels took Mosul .", "two": "Police left Raqqa .", "three": "Nothing here ."}
    result = agreement(
        {
            "ann": {"one": [("ACTOR", 0, 6)], "two": [("LOCATION", 12, 17)], "three": []},
            "bob": {"one": [("ACTOR", 0, 6)], "two": [("ACTOR", 12, 17)], "three": []},
            "cy": {"one": [("ACTOR", 0, 6), ("LOCATION", 12, 17)]},
        },
        texts=texts,
    )
    pairs = {(p["a"], p["b"]): p for p in result["pairs"]}
    assert pairs["ann", "bob"]["documents"] == 3
    assert pairs["ann", "cy"]["documents"] == 1
    assert pairs["ann", "cy"]["f1_strict"] == pytest.approx(2 / 3)
    assert result["overall"]["documents"] == 3
    assert result["fleiss_kappa"] is not None
    ranked = [d["id"] for d in result["by_document"]]
    assert ranked == ["two", "one", "three"]  # two: they disagree; three: nobody marked anything
    assert result["by_document"][-1]["f1_strict"] is None


def test_nothing_marked_is_no_evidence_not_disagreement():
    result = agreement({"A": {"d": []}, "B": {"d": []}}, tokens={"d": [(0, 1), (2, 3)]})
    pair = result["pairs"][0]
    assert pair["f1_strict"] is None and pair["cohen_kappa"] is None
    assert result["krippendorff_alpha"] is None


def test_documents_need_tokens_or_text():
    with pytest.raises(ValueError):
        agreement({"A": {"d": []}, "B": {"d": []}})


def test_fleiss_kappa_textbook_example():
    # Fleiss (1971)-style table from Wikipedia's worked example: 10 subjects, 14 raters, 5 categories -> 0.210.
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    from collections import Counter

    items = [Counter({j: n for j, n in enumerate(row) if n}) for row in table]
    assert round(fleiss_kappa(items), 3) == 0.210


ratings = st.lists(st.tuples(st.sampled_from("OAB"), st.sampled_from("OAB")), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(ratings)
def test_cohen_kappa_equals_sklearn(pairs):
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    ours = cohen_kappa(a, b)
    if ours is None:
        assert len(set(a) | set(b)) == 1
    else:
        assert ours == pytest.approx(cohen_kappa_score(a, b))


@settings(max_examples=100, deadline=None)
@given(ratings)
def test_krippendorff_of_two_raters_is_near_scotts_pi(pairs):
    from collections import Counter

    items = [Counter([x, y]) for x, y in pairs]
    alpha = krippendorff_alpha(items)
    pi = fleiss_kappa(items)  # Fleiss with two raters is Scott's pi
    if alpha is None or pi is None:
        return
    n = 2 * len(pairs)
    # alpha = 1 - (n - 1) (1 - pi) / n for two raters and no missing values.
    assert alpha == pytest.approx(1 - (n - 1) * (1 - pi) / n, abs=1e-9)


def test_many_raters_match_the_krippendorff_package_on_raw_reliability_data():
    import krippendorff
    import numpy as np

    tokens = {d: [(i * 3, i * 3 + 2) for i in range(12)] for d in ("x", "y")}
    spans = {
        "ann": {"x": [("A", 0, 5), ("B", 9, 14)], "y": [("A", 3, 8)]},
        "bob": {"x": [("A", 0, 2), ("B", 9, 14), ("A", 30, 35)], "y": []},
        "cy": {"x": [("B", 0, 5)]},
    }
    result = agreement(spans, tokens=tokens)
    codes = {"O": 0, "A": 1, "B": 2}
    rows = []
    for name in ("ann", "bob", "cy"):
        row = []
        for doc in ("x", "y"):
            if doc in spans[name]:
                row += [codes[t] for t in token_tags(tokens[doc], spans[name][doc])]
            else:
                row += [np.nan] * len(tokens[doc])
        rows.append(row)
    expected = krippendorff.alpha(reliability_data=np.array(rows, dtype=float), level_of_measurement="nominal")
    assert result["krippendorff_alpha"] == pytest.approx(expected)
    assert result["fleiss_kappa"] is not None and result["tokens"] == 24
