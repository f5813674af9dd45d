"""The pure checks behind the limits: JSON depth (brackets inside strings do not count) and text rules."""

import json

import pytest

from annotator.formats import limits


@pytest.mark.parametrize(
    "value",
    [1, "x", [], {}, [[[]]], {"a": [{"b": [1, 2, {"c": "[[[{{{"}]}]}, ["\\\"[[[", {"k": "]]]"}], {"[": {"{": ["}"]}}],
)
def test_json_depth_is_the_depth_of_the_value(value):
    def depth(v):
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        return 0

    text = json.dumps(value)
    assert limits.json_depth(text) == depth(value)
    assert limits.json_depth(json.dumps(value, indent=2)) == depth(value)


def test_json_depth_shortcut_only_when_it_cannot_be_deeper():
    assert limits.json_depth("[[[]]]", limit=2) == 3
    assert limits.json_depth("[[]]", limit=5) == 0  # two brackets cannot nest deeper than 5


@pytest.mark.parametrize(
    "text, problem",
    [
        ("plain", None),
        ("Zoë 👍 中文", None),
        ("a\x00b", "NUL character at offset 1: not allowed in text"),
        ("ok \ud83d alone", "lone surrogate \\ud83d at offset 3: not valid Unicode text"),
        ("é\udc00", "lone surrogate \\udc00 at offset 1: not valid Unicode text"),
    ],
)
def test_text_problems(text, problem):
    assert limits.text_problem(text) == problem


def test_check_value_names_the_field():
    with pytest.raises(limits.FormatError) as caught:
        limits.check_value({"a": [{"b": "x\x00"}]}, 3, "meta")
    assert str(caught.value) == "3: field 'meta.a[0].b': NUL character at offset 1: not allowed in text"
