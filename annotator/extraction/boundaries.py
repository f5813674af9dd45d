"""Boundary rules of LABELS.md, applied to every candidate name span.

The pretrained model and the patterns both find names with the wrong edges:
"the Syrian Democratic Forces", "Abu Bakr al-Baghdadi's", "Colonel Ryan
Dillon", "U.S.-backed Iraqi forces", "western Mosul". These functions cut a
span (a token range of a Doc) down to what the gold keeps, or reject it.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

from .labels import ACTOR, LOCATION
from .lexicon import read_lexicon

# Words in front of a name that never belong to it.
LEADING_FUNCTION_WORDS = frozenset(
    """the a an this that these those its their his her our your my
    of in on at to from by for with into near across toward towards over""".split()
)
POSSESSIVES = frozenset({"'s", "’s", "'", "’"})

# Titles and roles stripped off the front of a person's name ("Iraqi Prime
# Minister Haider al-Abadi" -> "Haider al-Abadi"): the lexicon's titles plus
# the modifiers and bodies a role is named after ("Federal Police Brigadier
# General ...", "coalition spokesman ...", "senior commander ...").
TITLE_WORDS = frozenset(read_lexicon()["title"]) | frozenset(
    "field senior top observatory coalition military army police federal elite".split()
)
# Nationality adjectives: never a name alone, and off the front of a person's title.
NATIONALITIES = frozenset(read_lexicon()["nationality"])

# Arabic articles start place names in lower case ("al-Qaim", "al Qaim").
ARABIC_ARTICLES = frozenset({"al", "el", "ad", "ar", "as", "ash", "at", "az", "ez", "ed"})
# Words after a place name that only point at it ("the Hiri area").
PLACE_CONTEXT_TAIL = frozenset({"area", "outskirts", "pocket", "enclave"})

# "U.S.-backed", "Iran-backed", "Kurdish-led": a modifier that stays out of a
# force phrase, and whose country gets no LOCATION span.
SPONSOR_SUFFIX = re.compile(r"-(?:backed|led|trained|supported|sponsored|funded|armed|allied)$", re.I)
SPONSOR_WORDS = frozenset({"backed", "led", "trained", "supported", "sponsored", "funded", "armed", "allied"})
COUNTRY_ABBREVIATIONS = frozenset({"U.S.", "US", "UK", "U.K.", "U.S", "USA"})


def has_name_token(tokens: Span | list) -> bool:
    """Return whether some token starts with a capital letter or a digit."""
    return any(t.text[:1].isupper() or t.text[:1].isdigit() for t in tokens)


def _is_arabic_article(doc: Doc, i: int, end: int) -> bool:
    """Return whether token i is "al"/"el" opening a name ("al-Qaim", "al Qaim")."""
    if doc[i].lower_ not in ARABIC_ARTICLES or i + 1 >= end:
        return False
    nxt = doc[i + 1]
    return nxt.text == "-" or nxt.text[:1].isupper()


def is_sponsor_modifier(doc: Doc, i: int) -> bool:
    """Return whether token i ends a "-backed"-type modifier ("U.S.-backed", "Iran - backed")."""
    tok = doc[i]
    if SPONSOR_SUFFIX.search(tok.text):
        return True
    return tok.lower_ in SPONSOR_WORDS and i > 0 and doc[i - 1].text == "-"


def followed_by_sponsor(doc: Doc, end: int) -> bool:
    """Return whether the tokens after `end` make the span the country of a "-backed" modifier."""
    return end + 1 < len(doc) and doc[end].text == "-" and doc[end + 1].lower_ in SPONSOR_WORDS


def _strip_edges(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Drop punctuation, spaces and possessives at both ends, function words in front."""
    while start < end and (
        doc[start].is_punct
        or doc[start].is_space
        or doc[start].lower_ in LEADING_FUNCTION_WORDS
        or doc[start].text in POSSESSIVES
    ):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space or doc[end - 1].text in POSSESSIVES):
        end -= 1
    return start, end


def _strip_titles(doc: Doc, start: int, end: int) -> int:
    """Move `start` past titles, roles and a nationality in front of a person's name."""
    i = start
    while i < end - 1:
        tok = doc[i]
        low = tok.lower_
        if (
            low in TITLE_WORDS
            or low in NATIONALITIES
            or tok.text in COUNTRY_ABBREVIATIONS
            or (tok.pos_ == "ADJ" and tok.text[:1].isupper())
        ):
            i += 1
            continue
        break
    # Keep what is left only if it still starts like a name.
    if i > start and i < end and doc[i].text[:1].isupper():
        return i
    return start


def _strip_sponsor(doc: Doc, start: int, end: int) -> int:
    """Move `start` past a "-backed"/"-led" modifier, except in a named coalition."""
    if doc[end - 1].lower_ == "coalition":
        return start
    for i in range(end - 2, start - 1, -1):
        if is_sponsor_modifier(doc, i):
            return i + 1
    return start


def _strip_place_prefix(doc: Doc, start: int, end: int) -> int:
    """Drop lower-case words in front of a place name ("western", "town of"), not "al"."""
    if not has_name_token(doc[start:end]):
        return start  # a lower-case name kept whole by a pattern ("old city")
    while start < end and doc[start].text[:1].islower() and not _is_arabic_article(doc, start, end):
        start += 1
    while start < end and (doc[start].is_punct or doc[start].lower_ in LEADING_FUNCTION_WORDS):
        start += 1
    return start


def tidy(doc: Doc, start: int, end: int, label: str, *, person: bool = False) -> tuple[int, int] | None:
    """Return the token range of the span [start, end) cut to LABELS.md, or None to drop it.

    `person` says the span was found as a person's name, so titles in front
    come off.
    """
    start, end = _strip_edges(doc, start, end)
    if start >= end:
        return None
    if label == ACTOR:
        start = _strip_sponsor(doc, start, end)
        if person:
            start = _strip_titles(doc, start, end)
    elif label == LOCATION:
        while end > start and doc[end - 1].lower_ in PLACE_CONTEXT_TAIL:
            end -= 1
        start = _strip_place_prefix(doc, start, end)
        if start < end and (followed_by_sponsor(doc, end) or SPONSOR_SUFFIX.search(doc[end - 1].text)):
            return None
        if start < end and is_adjectival_abbreviation(doc, start, end):
            return None
    start, end = _strip_edges(doc, start, end)
    if start >= end or not any(t.is_alpha or "." in t.text for t in doc[start:end]):
        return None
    return start, end


def is_adjectival_abbreviation(doc: Doc, start: int, end: int) -> bool:
    """Return whether "U.S."/"UK" is used as an adjective ("U.S. Colonel", "U.S. backed")."""
    if end - start != 1 or doc[start].text not in COUNTRY_ABBREVIATIONS or end >= len(doc):
        return False
    nxt = doc[end]
    if nxt.text == "-" or nxt.lower_ in SPONSOR_WORDS or nxt.text[:1].isupper():
        return True
    return nxt.pos_ in {"NOUN", "ADJ", "PROPN"}


def in_capitals_run(doc: Doc, start: int, end: int) -> bool:
    """Return whether the span sits between upper-case words, as in a shouted headline.

    There "IS" is more likely the verb than Islamic State.
    """

    def shouted(i: int) -> bool:
        return 0 <= i < len(doc) and doc[i].is_alpha and doc[i].is_upper and len(doc[i]) > 1

    return shouted(start - 1) and shouted(end)


def at_sentence_start(doc: Doc, i: int) -> bool:
    """Return whether token i opens a sentence or a line (its capital then says nothing).

    Uses sentence boundaries when the pipeline sets them, otherwise the token before.
    """
    if i == 0:
        return True
    if doc.has_annotation("SENT_START"):
        return bool(doc[i].is_sent_start)
    prev = doc[i - 1]
    return (
        prev.is_space
        or "\n" in prev.whitespace_
        or prev.text in {".", "!", "?", "\u201c", '"', "-", "\u2013", "\u2014"}
    )
