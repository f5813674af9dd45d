"""The pushed spans' plain-Python check (serializers.SpanList) answers as DRF's serializers did, span for span.

Every list is validated twice: through SpanList (the fast path, falling back
to DRF) and through DRF's own ListSerializer of the same child; the
validated data or the errors must be the same.
"""

import pytest
from rest_framework import serializers

from annotator.api import serializers as s

GOOD = {"start": 0, "end": 5, "label": "ACTOR"}
CASES = [
    [],
    [GOOD],
    [GOOD, {"start": 6, "end": 12, "label": "LOCATION", "text": "forces", "score": 0.5, "source": "rule:x"}],
    [{**GOOD, "score": 1}],  # an int score becomes a float
    [{**GOOD, "score": None, "source": None}],
    [{**GOOD, "source": ""}],
    [{**GOOD, "text": "  Iraqi "}],  # the span text keeps its white space
    [{**GOOD, "extra": "dropped"}],
    [{**GOOD, "start": "0"}],  # DRF takes a numeric string
    [{**GOOD, "start": 1.0}],
    [{**GOOD, "start": True}],
    [{**GOOD, "start": -1}],
    [{**GOOD, "end": 0}],
    [{**GOOD, "end": 2**31}],
    [{**GOOD, "label": " ACTOR "}],  # trimmed by DRF
    [{**GOOD, "label": ""}],
    [{**GOOD, "label": "   "}],
    [{**GOOD, "label": "A" * 65}],
    [{**GOOD, "label": 12}],
    [{**GOOD, "label": "AC\x00TOR"}],
    [{**GOOD, "label": "AC\ud800TOR"}],
    [{**GOOD, "text": "Ira\ud800qi"}],
    [{**GOOD, "text": 5}],
    [{**GOOD, "score": "0.5"}],
    [{**GOOD, "score": True}],
    [{**GOOD, "score": float("nan")}],
    [{**GOOD, "score": float("inf")}],
    [{**GOOD, "score": 10**400}],
    [{**GOOD, "source": " rule "}],
    [{**GOOD, "source": "x" * 101}],
    [{"end": 5, "label": "ACTOR"}],
    [{**GOOD, "start": None}],
    ["not a span"],
    [GOOD, None],
    "not a list",
    {"start": 0},
]


def outcome(field, data):
    try:
        return "valid", [dict(item) for item in field.run_validation(data)]
    except serializers.ValidationError as error:
        return "invalid", error.detail


@pytest.mark.parametrize("child", [s.SpanSerializer, s.ScoredSpanSerializer])
@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_the_fast_path_answers_as_drf(child, data):
    fast = child(many=True)
    assert isinstance(fast, s.SpanList)
    reference = serializers.ListSerializer(child=child())
    assert outcome(fast, data) == outcome(reference, data)


def test_plain_spans_takes_well_formed_spans_and_leaves_the_rest_to_drf():
    spans = [GOOD, {"start": 6, "end": 12, "label": "LOCATION", "score": 1, "source": "x"}]
    assert s.plain_spans(spans, scored=True) == [GOOD, {"start": 6, "end": 12, "label": "LOCATION", "score": 1.0, "source": "x"}]
    assert s.plain_spans(spans, scored=False) == [GOOD, {"start": 6, "end": 12, "label": "LOCATION"}]
    for bad in ({**GOOD, "start": "0"}, {**GOOD, "label": " ACTOR"}, {**GOOD, "label": "A\x00"}, {**GOOD, "score": True}):
        assert s.plain_spans([GOOD, bad], scored=True) is None


def test_text_fields_still_refuse_lone_surrogates_without_drfs_own_check():
    field = s.Text(max_length=10)
    assert not any(type(v).__name__ == "ProhibitSurrogateCharactersValidator" for v in field.validators)
    with pytest.raises(serializers.ValidationError, match="lone surrogate"):
        field.run_validation("a\ud800b")
    with pytest.raises(serializers.ValidationError, match="NUL"):
        field.run_validation("a\x00b")
