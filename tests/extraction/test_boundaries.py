"""Boundary rules of LABELS.md (boundaries.py) on hand-made token ranges."""

import pytest
import spacy

from annotator.extraction.boundaries import at_sentence_start, in_capitals_run, tidy

NLP = spacy.blank("en")


def cut(text: str, span: str, label: str, *, person: bool = False) -> str | None:
    """Tidy the tokens of `span` (a substring of `text`) and return what is left."""
    doc = NLP(text)
    start = text.index(span)
    found = doc.char_span(start, start + len(span))
    assert found is not None, "span must align with tokens"
    result = tidy(doc, found.start, found.end, label, person=person)
    return None if result is None else doc[result[0] : result[1]].text


@pytest.mark.parametrize(
    ("text", "span", "label", "person", "expected"),
    [
        # no leading determiner
        (
            "the Syrian Democratic Forces said",
            "the Syrian Democratic Forces",
            "ACTOR",
            False,
            "Syrian Democratic Forces",
        ),
        # no possessive
        ("in Mosul's Old City", "Mosul's", "LOCATION", False, "Mosul"),
        ("led by Abu Bakr al-Baghdadi’s group", "Abu Bakr al-Baghdadi’s", "ACTOR", True, "Abu Bakr al-Baghdadi"),
        ("up at the border in Iraq’s al-Qaim and", "’s al-Qaim", "LOCATION", False, "al-Qaim"),
        # titles off names
        (
            "said Iraqi Prime Minister Haider al-Abadi on",
            "Iraqi Prime Minister Haider al-Abadi",
            "ACTOR",
            True,
            "Haider al-Abadi",
        ),
        ("spokesman U.S. Colonel Ryan Dillon said", "U.S. Colonel Ryan Dillon", "ACTOR", True, "Ryan Dillon"),
        (
            "said Staff Lieutenant General Abdulghani al-Assadi",
            "Staff Lieutenant General Abdulghani al-Assadi",
            "ACTOR",
            True,
            "Abdulghani al-Assadi",
        ),
        # "-backed" modifiers off force phrases, but not off a named coalition
        ("as U.S.-backed Iraqi forces advanced", "U.S.-backed Iraqi forces", "ACTOR", False, "Iraqi forces"),
        (
            "Russian-backed Syrian regime forces took",
            "Russian-backed Syrian regime forces",
            "ACTOR",
            False,
            "Syrian regime forces",
        ),
        ("the U.S.-led coalition said", "U.S.-led coalition", "ACTOR", False, "U.S.-led coalition"),
        # direction words off places, Arabic articles and lower-case names kept
        ("fighting in western Mosul", "western Mosul", "LOCATION", False, "Mosul"),
        ("Iraqi forces retook al-Qaim on Friday", "al-Qaim", "LOCATION", False, "al-Qaim"),
        ("militants in the old city", "old city", "LOCATION", False, "old city"),
        ("the village of Rawa further down", "village of Rawa", "LOCATION", False, "Rawa"),
        ("in the Hiri area", "the Hiri area", "LOCATION", False, "Hiri"),
        # trailing punctuation out
        ("fled to Raqqa.", "Raqqa.", "LOCATION", False, "Raqqa"),
    ],
)
def test_tidy(text, span, label, person, expected):
    assert cut(text, span, label, person=person) == expected


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Iran-backed Shi'ite paramilitaries", "Iran"),  # the country of a "-backed" modifier
        ("the U.S. backed alliance", "U.S."),  # "U.S." as an adjective
        ("spokesman U.S. Colonel Ryan Dillon", "U.S."),
        ("fled to the", "the"),  # nothing left
    ],
)
def test_tidy_drops(text, span):
    assert cut(text, span, "LOCATION") is None


def test_britain_based_keeps_the_country():
    assert cut("a Britain-based war monitor", "Britain", "LOCATION") == "Britain"


def test_sentence_start_without_a_parser():
    doc = NLP('He left. Coalition spokesman said "Coalition forces" stay.')
    assert at_sentence_start(doc, 0)
    assert at_sentence_start(doc, 3)  # after "."
    assert not at_sentence_start(doc, 1)


def test_capitals_run():
    doc = NLP("WHAT IS NEXT for IS fighters")
    assert in_capitals_run(doc, 1, 2)
    assert not in_capitals_run(doc, 4, 5)
