"""Page furniture and story datelines (layout.py): pure functions over text."""

import pytest

from annotator.extraction.layout import dateline_places, furniture_ranges


def furniture(text: str) -> list[str]:
    return [text[start:end].strip() for start, end in furniture_ranges(text)]


def places(text: str) -> list[str]:
    return [text[start:end] for start, end in dateline_places(text)]


@pytest.mark.parametrize(
    "line",
    [
        "Fri, 30 Jun 2017 - 02:56 GMT",
        "Sun, Nov 05, 2017 - Page 1 News List",
        "Friday, June 30th 2017",
        "By Angus McDowall and Raya Jalabi",
        "By Tom Perry; additional reporting by Ellen Francis in Beirut",
        "Emmanuel Duparcq with Layal Abou Rahal",
        "Leave a Comment",
        "This story has been viewed 9836 times.",
        "Media ID: 55368777",
        "Comments will be moderated. Remarks containing abusive language will be removed and the user banned.",
    ],
)
def test_whole_lines_of_furniture(line):
    text = f"Iraqi forces took Mosul.\n\n{line}\n\nIS fled."
    assert furniture(text) == [line]


@pytest.mark.parametrize(
    ("text", "credit"),
    [
        ("the militant Islamic State Abu Bakr al-Baghdadi - Reuters\n", "- Reuters"),
        ("Smoke rises over Mosul, Iraq, March 6, 2017. REUTERS/Thaier Al-Sudani\n", "REUTERS/Thaier Al-Sudani"),
        ("Iraqi soldiers advance toward al-Qaim.\n\nPhoto: AFP\n", "Photo: AFP"),
        ("BEIRUT/ERBIL (Reuters) - Islamic State lost.", "(Reuters)"),
        (
            "It ended. (Reporting by Angus McDowall in Beirut; Editing by Peter Graf)",
            "(Reporting by Angus McDowall in Beirut; Editing by Peter Graf)",
        ),
        (
            "MOSUL, IRAQ, Emmanuel Duparcq with Layal Abou Rahal in Beirut- Iraq will declare victory.",
            "Emmanuel Duparcq with Layal Abou Rahal in Beirut",
        ),
    ],
)
def test_credits_inside_lines(text, credit):
    assert credit in furniture(text)


def test_site_menu_segments_are_furniture_but_a_headline_is_not():
    text = (
        "Middle-east Arab News Opinion | Asharq Al-awsat\n"
        "US-Backed Offenses Gain Ground against ISIS in Mosul, Raqqa | ASHARQ AL-AWSAT English Archive 2005 -2017\n"
    )
    found = furniture(text)
    assert "Asharq Al-awsat" in found and "ASHARQ AL-AWSAT English Archive 2005 -2017" in found
    assert not any("ISIS" in f for f in found)


def test_story_text_is_not_furniture():
    text = "Iraqi Prime Minister Haider al-Abadi declared victory on Friday, June 30, 2017, in Mosul."
    assert furniture(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "MOSUL, Iraq/RAQQA, Syria June 30 - U.S.-backed Iraqi forces pressed on.",
            ["MOSUL", "Iraq", "RAQQA", "Syria"],
        ),
        ("BEIRUT/ERBIL (Reuters) – Islamic State's caliphate shrank.", ["BEIRUT", "ERBIL"]),
        ("MOSUL, IRAQ, Emmanuel Duparcq with Layal Abou Rahal in Beirut- Iraq will declare", ["MOSUL", "IRAQ"]),
        ("BESIEGED IN ALL DIRECTIONS\n\nThe source added", []),
        ("IS, SDF clash near Raqqa", []),
    ],
)
def test_story_datelines(text, expected):
    assert places(text) == expected
