"""Find the parts of a scraped news page that are not the story, and its dateline.

Scraped articles carry page furniture: the publisher's date line, bylines,
photo credits, "(Reporting by ...)", site menus and comment boxes. LABELS.md
leaves all of it unannotated, while the pretrained model happily tags
"Fri" as a person and "Reuters" as an organisation. This component marks the
furniture as spans so the resolver can drop whatever falls inside.

The story's own dateline ("MOSUL, Iraq/RAQQA, Syria June 30 -",
"BEIRUT/ERBIL (Reuters) -") is the opposite case: its places are LOCATIONs
that the model, faced with capitals, often misses. They are emitted as
spans of their own.

Everything here is regular expressions over lines of text: cheap, and
independent of the statistical pipeline.
"""

import re
from collections.abc import Iterator

from spacy.language import Language
from spacy.tokens import Doc, SpanGroup

from .labels import LOCATION

FURNITURE = "FURNITURE"

# News agencies and picture desks that sign photos and stories.
AGENCY = r"(?:Reuters|REUTERS|AFP|AP|Associated Press|dpa|DPA|EPA|Xinhua|Anadolu|Getty Images|UPI|ANSA)"
NAME_WORD = r"[A-Z][\w'’]*(?:-[A-Z][\w'’]*)*"
# Names never run across a line break.
GAP = r"[ \t]+"
NAME = rf"{NAME_WORD}(?:{GAP}{NAME_WORD})+"
# Names of a credit line, with where they reported from: "Angus McDowall and Tom Perry in Beirut".
NAMES = rf"{NAME_WORD}(?:(?:{GAP}|,{GAP}|{GAP}and{GAP}|{GAP}&{GAP}|{GAP}in{GAP}){NAME_WORD})*"
CREDIT = rf"(?:[Aa]dditional{GAP})?(?:[Rr]eporting|[Ww]riting|[Ee]diting|[Cc]ompiled|[Tt]ranslated)"
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
WEEKDAY = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday|sday|urday)?\.?"
DASH = r"[-–—]"

# A whole line is furniture when one of these matches it.
FURNITURE_LINES = [
    # the publisher's date line: "Fri, 30 Jun 2017 - 02:56 GMT", "Friday, June 30th 2017"
    re.compile(rf"^\W*{WEEKDAY},?\s+(?=.*\b{MONTH}\s)(?=.*\b(?:19|20)\d\d\b).{{0,80}}$"),
    # bylines: "By Angus McDowall and Raya Jalabi", "Emmanuel Duparcq with Layal Abou Rahal"
    re.compile(rf"^\s*By{GAP}{NAMES}(?:\s*[;,]\s*{CREDIT}{GAP}by{GAP}{NAMES})*\s*$"),
    re.compile(rf"^\s*{NAME}(?:{GAP}with{GAP}{NAME})+\s*$"),
    # comment boxes, sharing and navigation
    re.compile(
        r"^\s*(?:leave a comment|(?:new|add a|post a|add new) comment|comments?\b.*\b(?:moderated|removed|banned)\b"
        r"|be social|follow us|share (?:this|on)\b|related (?:articles|stories|news)|read more|sign (?:in|up)\b"
        r"|log ?in\b|subscribe\b|advertisement|select page|back to top|top\s+top|at a glance|all rights reserved"
        r"|copyright\b|©).*$",
        re.I,
    ),
    # counters and record numbers: "This story has been viewed 9836 times.", "Media ID: 55368777"
    re.compile(r"^.*\b(?:viewed|read|shared)\s+[\d,]+\s+times\b.*$", re.I),
    re.compile(r"^\s*[A-Z][\w .]{0,30}:\s*[\d,]+\s*$"),
]

# Furniture inside a line.
FURNITURE_INLINE = [
    # "(Reporting by ...; Editing by ...)"
    re.compile(r"\((?:additional\s+)?(?:reporting|writing|editing|compiled|translated|contributing)\b[^)]*\)", re.I),
    # "(Reuters)", "(AFP)"
    re.compile(rf"\(\s*{AGENCY}\s*\)"),
    # "REUTERS/Thaier Al-Sudani", "AFP/Getty Images"
    re.compile(rf"\b{AGENCY}(?: PHOTO| Photo)?/{NAME_WORD}(?:{GAP}{NAME_WORD}){{0,3}}"),
    # "Photo: AFP", "Photo credit: John Smith" to the end of the line
    re.compile(r"\b(?:Photo|Picture|Image|Photograph)s?(?:\s+credit)?\s*:\s*[^\n]{0,60}$", re.M),
    # a credit closing a caption: "... al-Baghdadi - Reuters"
    re.compile(rf"\s{DASH}\s*{AGENCY}\s*$", re.M),
    # the byline inside an agency dateline: "MOSUL, IRAQ, Emmanuel Duparcq with Layal Abou Rahal in Beirut-"
    re.compile(rf"(?<=,\s){NAME}(?:{GAP}(?:with|and){GAP}{NAME})+(?:{GAP}in{GAP}{NAME_WORD})?(?=\s*{DASH})"),
]

# The story's dateline: upper-case place first, then more places, then an
# agency in brackets, a dash or a date.
DATELINE_PLACE = r"[A-Z][A-Za-z.'’-]*(?:\s[A-Z][A-Za-z.'’-]*){0,2}"
DATELINE = re.compile(
    rf"^[ \t]*(?P<places>[A-Z][A-Z.'’-]{{2,}}(?:\s[A-Z][A-Z.'’-]+){{0,2}}(?:\s*[,/]\s*{DATELINE_PLACE})*)"
    rf"(?=\s*(?:\(|{DASH}|{MONTH}\s+\d|,[^.\n]{{0,80}}?{DASH}))",
    re.M,
)
DATELINE_SPLIT = re.compile(r"\s*[,/]\s*")

# A " | " separated line: a segment is kept only when it reads like a headline.
MENU_SEPARATOR = re.compile(r"\s+\|\s+")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, line) for each line of `text`."""
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line.rstrip("\r\n")
        offset += len(line)


def _is_headline(segment: str) -> bool:
    """Return whether a menu segment reads like a sentence, not a list of section names."""
    words = segment.split()
    return len(words) >= 5 and any(w.isalpha() and w.islower() and len(w) > 1 for w in words)


def furniture_ranges(text: str) -> list[tuple[int, int]]:
    """Return the character ranges of `text` that are page furniture."""
    ranges: list[tuple[int, int]] = []
    for offset, line in _lines(text):
        if not line.strip():
            continue
        if any(p.match(line) for p in FURNITURE_LINES):
            ranges.append((offset, offset + len(line)))
            continue
        if " | " in line:
            pos = 0
            for segment in MENU_SEPARATOR.split(line):
                start = line.index(segment, pos)
                pos = start + len(segment)
                if not _is_headline(segment):
                    ranges.append((offset + start, offset + pos))
    for pattern in FURNITURE_INLINE:
        ranges.extend(m.span() for m in pattern.finditer(text))
    return ranges


def dateline_places(text: str) -> list[tuple[int, int]]:
    """Return the character ranges of the places in the story's dateline(s)."""
    places = []
    for match in DATELINE.finditer(text):
        start = match.start("places")
        block = match.group("places")
        pos = 0
        for name in DATELINE_SPLIT.split(block):
            at = block.index(name, pos)
            pos = at + len(name)
            if name:
                places.append((start + at, start + pos))
    return places


@Language.factory(
    "page_layout",
    default_config={"furniture_key": "furniture", "dateline_key": "dateline"},
)
class PageLayout:
    """Mark page furniture and dateline places as span groups."""

    def __init__(self, nlp: Language, name: str, *, furniture_key: str, dateline_key: str):
        self.name = name
        self.furniture_key = furniture_key
        self.dateline_key = dateline_key

    def __call__(self, doc: Doc) -> Doc:
        furniture = [
            span
            for start, end in furniture_ranges(doc.text)
            if (span := doc.char_span(start, end, label=FURNITURE, alignment_mode="expand")) is not None
        ]
        datelines = [
            span
            for start, end in dateline_places(doc.text)
            if (span := doc.char_span(start, end, label=LOCATION, alignment_mode="contract")) is not None
        ]
        doc.spans[self.furniture_key] = SpanGroup(doc, name=self.furniture_key, spans=furniture)
        doc.spans[self.dateline_key] = SpanGroup(doc, name=self.dateline_key, spans=datelines)
        return doc
