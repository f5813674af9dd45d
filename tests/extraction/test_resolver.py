"""The span resolver (resolver.py): merging model and rule candidates.

The model is simulated: each test sets doc.ents by hand on a blank
pipeline's doc and then runs the rule components, so the tests show what
the resolver does with a given model output, without model weights.
"""

import spacy

from annotator.extraction.labels import SPANS_KEY
from annotator.extraction.pipeline import add_label_map, spans_of


def run(nlp, text: str, ents: list[tuple[str, str]] = ()):
    """Process `text` with simulated model entities [(substring, type)]; return (text, label, source)."""
    doc = nlp.make_doc(text)
    spans, pos = [], 0
    for substring, label in ents:
        start = text.index(substring, pos)
        span = doc.char_span(start, start + len(substring), label=label)
        assert span is not None, substring
        spans.append(span)
        pos = start + len(substring)
    doc.ents = spans
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return [(text[s["start"] : s["end"]], s["label"], s["source"]) for s in spans_of(doc)]


def labelled(result):
    return [(text, label) for text, label, _ in result]


def test_page_furniture_silences_the_model(rules_nlp):
    text = "Fri, 30 Jun 2017 - 02:56 GMT\n\nRami fled to Mosul."
    assert labelled(run(rules_nlp, text, [("Fri", "PERSON")])) == [("Mosul", "LOCATION")]


def test_news_agencies_are_no_actors(rules_nlp):
    assert run(rules_nlp, "A Reuters correspondent saw smoke.", [("Reuters", "ORG")]) == []


def test_a_rule_span_wins_and_the_model_keeps_the_rest(rules_nlp):
    text = "the militant Islamic State Abu Bakr al-Baghdadi spoke"
    result = run(rules_nlp, text, [("Islamic State Abu Bakr al-Baghdadi", "PERSON")])
    assert result == [
        ("Islamic State", "ACTOR", "ruler:group"),
        ("Abu Bakr al-Baghdadi", "ACTOR", "ner:PERSON"),
    ]


def test_a_leftover_nationality_is_no_name(rules_nlp):
    text = "the Kurdish People’s Protection Units (YPG) said"
    result = run(rules_nlp, text, [("Kurdish People’s Protection Units", "ORG")])
    assert labelled(result) == [("People’s Protection Units", "ACTOR"), ("YPG", "ACTOR")]


def test_a_listed_place_gives_way_to_a_longer_name(rules_nlp):
    text = "the outlawed Kurdistan Workers Party (PKK) said"
    result = run(rules_nlp, text, [("Kurdistan Workers Party", "ORG")])
    assert labelled(result) == [("Kurdistan Workers Party", "ACTOR"), ("PKK", "ACTOR")]


def test_the_model_span_is_split_at_to(rules_nlp):
    text = "the highway from Hama to Raqqa was cut"
    assert labelled(run(rules_nlp, text, [("Hama to Raqqa", "ORG")])) == [("Hama", "LOCATION"), ("Raqqa", "LOCATION")]


def test_a_rule_label_holds_for_every_mention(rules_nlp):
    text = "Fighting raged in the Hiri area.\n\nHiri lies across the border."
    result = run(rules_nlp, text, [("Hiri", "ORG")])
    assert labelled(result) == [("Hiri", "LOCATION"), ("Hiri", "LOCATION")]


def test_place_contexts_outvote_the_model_type(rules_nlp):
    text = "Militants hid in Sabikhan. Troops moved to retake Sabikhan. Sabikhan is quiet."
    ents = [("Sabikhan", "ORG"), ("Sabikhan", "ORG"), ("Sabikhan", "PERSON")]
    assert labelled(run(rules_nlp, text, ents)) == [("Sabikhan", "LOCATION")] * 3


def test_both_ends_of_a_path_are_places(rules_nlp):
    text = "They attacked a road linking Ithriya to Khanaser."
    result = run(rules_nlp, text, [("Ithriya", "ORG"), ("Khanaser", "PERSON")])
    assert labelled(result) == [("Ithriya", "LOCATION"), ("Khanaser", "LOCATION")]


def test_a_surname_is_found_again(rules_nlp):
    text = "Staff Lieutenant General Abdulghani al-Assadi spoke. Assadi estimated the losses."
    assert run(rules_nlp, text) == [
        ("Abdulghani al-Assadi", "ACTOR", "ruler:cue:titled-person"),
        ("Assadi", "ACTOR", "propagated"),
    ]


def test_a_lone_al_surname_is_a_person_not_a_place(rules_nlp):
    text = "Its leader Abu Bakr al-Baghdadi spoke. Later, al-Baghdadi fled the city of al-Qaim."
    result = run(rules_nlp, text, [("Abu Bakr al-Baghdadi", "PERSON")])
    assert labelled(result) == [("Abu Bakr al-Baghdadi", "ACTOR"), ("al-Baghdadi", "ACTOR"), ("al-Qaim", "LOCATION")]


def test_output_is_sorted_without_overlaps_and_carries_sources_and_scores(rules_nlp):
    text = "U.S.-backed Iraqi forces pressed Islamic State fighters in Mosul's Old City, where about 200 militants hid."
    doc = rules_nlp(text)
    group = doc.spans[SPANS_KEY]
    assert len(group.attrs["sources"]) == len(group.attrs["scores"]) == len(group)
    spans = spans_of(doc)
    assert [s["start"] for s in spans] == sorted(s["start"] for s in spans)
    assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:], strict=False))
    assert all(0 < s["score"] <= 1 and s["source"] for s in spans)
    assert [text[s["start"] : s["end"]] for s in spans] == [
        "Iraqi forces",
        "Islamic State",
        "Mosul",
        "Old City",
        "about 200 militants",
    ]


def test_the_label_map_alone_is_the_baseline():
    nlp = add_label_map(spacy.blank("en"))
    text = "the Syrian Democratic Forces and Kurdish fighters killed 200 in Raqqa"
    result = run(
        nlp, text, [("the Syrian Democratic Forces", "ORG"), ("Kurdish", "NORP"), ("200", "CARDINAL"), ("Raqqa", "GPE")]
    )
    assert result == [
        ("the Syrian Democratic Forces", "ACTOR", "ner:ORG"),
        ("200", "QUANTITY", "ner:CARDINAL"),
        ("Raqqa", "LOCATION", "ner:GPE"),
    ]
