"""QUANTITY spans (quantities.py): the examples and exclusions of LABELS.md.

Most run on the blank pipeline, where the component falls back on word
shape; the tagged pipeline is checked on the same cases in a slow test.
"""

import pytest

# (sentence, expected QUANTITY texts), straight from LABELS.md and the seeds' gold.
COUNTS = [
    ("Fighting has displaced 900,000 people, about half the city's population.", ["900,000 people"]),
    ("Tens of thousands of civilians are trapped in the city.", ["Tens of thousands of civilians"]),
    ("Fighters killed dozens of civilians in the raid.", ["dozens of civilians"]),
    ("The army was about 30km from the town and about 40 km from the border.", ["about 30km", "about 40 km"]),
    ("The group said it had five bridges.", ["five bridges"]),
    ("An estimated 350,000 people have fled the fighting.", ["An estimated 350,000 people"]),
    ("There are between 200 and 300 IS fighters left in the city.", ["between 200 and 300 IS fighters"]),
    ("The city was defended by about 200 militants.", ["about 200 militants"]),
    ("The group withdrew from 17 towns and villages in the north.", ["17 towns and villages"]),
    (
        "Its fighters captured two eastern and two western districts of the city.",
        ["two eastern and two western districts"],
    ),
    ("It lost its two most emblematic strongholds.", ["two most emblematic strongholds"]),
    (
        "He estimated there were 1,500-2,500 fighters left, and 2,000-3,000 elsewhere.",
        ["1,500-2,500 fighters", "2,000-3,000"],
    ),
    ("The front held a pair of border towns and a dozen villages.", ["a pair of border towns", "a dozen villages"]),
    (
        "It has a few thousand fighters and several thousand militants.",
        ["a few thousand fighters", "several thousand militants"],
    ),
    ("The 100,000-strong force of Iraqi troops advanced.", ["100,000-strong force"]),
    ("More than 40,000 fled, bringing the total to nearly 210,000.", ["More than 40,000", "nearly 210,000"]),
    ("The caliphate once ruled over millions.", ["millions"]),
    ("Soldiers killed 20 fighters and 30 civilians on the road.", ["20 fighters", "30 civilians"]),
]

NOT_COUNTS = [
    "It could take four to five days to capture the mosque.",
    "The 850-year-old mosque was destroyed in 2014.",
    "The group held about a third of Iraq, according to one estimate.",
    "The second of the bridges fell on June 30.",
    "Militants control 40 percent of the city.",
    "The river cuts Mosul in two.",
    "The battle, which started on Oct. 17, ended three years ago.",
    "Page 1 of the report.",
    "A two month battle for control ended.",
]


def quantities(extract, text):
    return [t for t, label in extract(text) if label == "QUANTITY"]


@pytest.mark.parametrize(("text", "expected"), COUNTS)
def test_counts_grow_to_their_full_span(extract, text, expected):
    assert quantities(extract, text) == expected


@pytest.mark.parametrize("text", NOT_COUNTS)
def test_dates_durations_ages_shares_and_labels_are_no_quantity(extract, text):
    assert quantities(extract, text) == []


def test_a_count_swallows_the_actor_it_counts(extract):
    assert extract("There are between 200 and 300 IS fighters left.") == [
        ("between 200 and 300 IS fighters", "QUANTITY")
    ]


def test_a_word_cut_off_by_the_end_of_the_text_stays_out(extract):
    assert quantities(extract, "Thousands fled, 12,000 pe") == ["Thousands", "12,000"]


def test_a_whole_last_word_stays_in(extract):
    assert quantities(extract, "The strikes killed 30 civilians") == ["30 civilians"]


def test_counts_in_page_furniture_are_dropped(extract):
    assert quantities(extract, "Mosul fell.\n\nThis story has been viewed 9836 times.\n") == []


def test_the_verb_may_is_no_month(extract):
    assert quantities(extract, "Officials said 5,000 may have fled.") == ["5,000"]


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), COUNTS)
def test_counts_with_the_pretrained_tagger(pretrained, text, expected):
    spans = next(pretrained.predict([text]))
    assert [text[s["start"] : s["end"]] for s in spans if s["label"] == "QUANTITY"] == expected


@pytest.mark.slow
@pytest.mark.parametrize("text", NOT_COUNTS)
def test_exclusions_with_the_pretrained_tagger(pretrained, text):
    assert [s for s in next(pretrained.predict([text])) if s["label"] == "QUANTITY"] == []
