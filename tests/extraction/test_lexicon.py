"""The pattern files: word-list expansion and validity."""

import pytest
import spacy

from annotator.extraction.lexicon import PATTERN_FILES, expand, read_lexicon, read_patterns

from .conftest import DATA


def test_expand_replaces_named_lists_in_place():
    lexicon = {"nationality": ["iraqi", "syrian"]}
    token = {"LOWER": {"IN": ["$nationality", "kurdish"]}, "OP": "?"}
    assert expand(token, lexicon) == {"LOWER": {"IN": ["iraqi", "syrian", "kurdish"]}, "OP": "?"}


def test_expand_leaves_plain_strings_alone():
    assert expand("Islamic State", {"x": ["y"]}) == "Islamic State"


def test_expand_rejects_an_unknown_list():
    with pytest.raises(ValueError, match="unknown word list"):
        expand([{"LOWER": {"IN": ["$nope"]}}], {})


def test_read_patterns_from_a_fixture_directory():
    patterns = read_patterns(["fixture_patterns.jsonl"], directory=DATA)
    assert patterns[0]["pattern"][0] == {"LOWER": {"IN": ["iraqi", "syrian"]}}
    assert {p["label"] for p in patterns} == {"ACTOR", "LOCATION", "IGNORE"}


def test_project_patterns_are_valid_for_the_span_ruler():
    ruler = spacy.blank("en").add_pipe("span_ruler", config={"validate": True})
    ruler.add_patterns(read_patterns())  # raises on a malformed pattern
    assert len(ruler.patterns) > 100


def test_every_pattern_has_a_label_and_an_id_naming_its_rule():
    for pattern in read_patterns(PATTERN_FILES):
        assert pattern["label"] in {"ACTOR", "LOCATION", "IGNORE"}
        assert pattern["id"], pattern


def test_lexicon_entries_are_lower_case_except_abbreviations():
    for name, words in read_lexicon().items():
        if name == "country_abbreviation":
            continue
        assert all(word == word.lower() for word in words), name
