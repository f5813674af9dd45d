"""Grow numbers into the QUANTITY spans of LABELS.md, and drop the numbers that are not counts.

A QUANTITY is the number with its approximator in front and its counted
noun or unit behind: "an estimated 350,000 people", "Tens of thousands of
civilians", "30km", "between 200 and 300 IS fighters". The pretrained model
finds only the number ("350,000", "Tens of thousands") and calls dates,
durations and ages numbers too. This component walks the tokens instead:

1. a number core: digits, number words, vague counts ("dozens",
   "thousands", "tens of thousands"), ranges ("1,500-2,500", "200 to 300");
2. an approximator in front ("about", "more than", "an estimated", "a few");
3. a unit or a counted noun phrase behind, with its "of" after vague counts
   ("five bridges", "17 towns and villages", "two most emblematic
   strongholds");
4. then drops what LABELS.md excludes: dates, times, durations, ages,
   ordinals, percentages, money, "one" as a pronoun, years, page numbers.

It uses part-of-speech tags when the pipeline has a tagger and falls back
on word shape when it has none (a blank pipeline), so the rules still run.
"""

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup, Token

from .boundaries import at_sentence_start
from .labels import QUANTITY

DIGITS = re.compile(r"^\d[\d,]*(?:\.\d+)?$")
NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred thousand million billion dozen""".split()
)
# Counts that stand for a number on their own: "thousands fled", "ruled over millions".
VAGUE_COUNTS = frozenset({"dozens", "hundreds", "thousands", "millions", "billions", "tens", "scores"})
# Nouns that count only after "a" and before "of": "a pair of border towns".
COUNT_NOUNS = frozenset({"pair", "couple", "handful"})
MULTIPLIERS = frozenset({"hundred", "thousand", "million", "billion", "hundreds", "thousands", "millions", "billions"})

# Approximators in front of the number, longest first; each is a tuple of lower-case words.
APPROXIMATORS = sorted(
    [
        ("as", "many", "as"),
        ("more", "than"),
        ("less", "than"),
        ("fewer", "than"),
        ("at", "least"),
        ("up", "to"),
        ("an", "estimated"),
        ("close", "to"),
        ("upwards", "of"),
        ("a", "few"),
        ("about",),
        ("around",),
        ("nearly",),
        ("almost",),
        ("roughly",),
        ("approximately",),
        ("some",),
        ("estimated",),
        ("several",),
        ("an", "additional"),
        ("another",),
    ],
    key=len,
    reverse=True,
)
# These read as prepositions unless digits follow: "over 1,000 people" but "ruled over millions".
DIGIT_ONLY_APPROXIMATORS = frozenset({"over", "under"})
# "a" opens the number phrase only before these: "a dozen villages", "a thousand people".
A_COUNTS = frozenset({"dozen", "hundred", "thousand", "million", "pair", "couple", "handful"})
RANGE_WORDS = frozenset({"-", "–", "to", "or"})

UNITS = frozenset(
    """km kms km2 km² kilometres kilometers kilometre kilometer mi miles mile m metres meters metre
    meter sq square hectares hectare acres acre tonnes tonne tons ton kg kilograms kilogram
    litres liters barrels""".split()
)
TIME_UNITS = frozenset(
    """second seconds minute minutes hour hours day days week weeks month months year years decade
    decades century centuries night nights weekend weekends times""".split()
)
MONTHS = frozenset(
    """january february march april may june july august september october november december
    jan jan. feb feb. mar mar. apr apr. jun jun. jul jul. aug aug. sep sep. sept sept. oct oct.
    nov nov. dec dec.""".split()
)
PERCENT_WORDS = frozenset({"%", "percent", "per", "pc"})
NUMBER_LABELS = frozenset({"page", "no", "no.", "id", "#", "p.", "pp.", "article", "resolution", "route"})
# Entity types of the pretrained model that mark a number as no count: always,
# and when no counted noun follows (the model also calls "four years" a DATE).
NEVER_COUNT_ENTS = frozenset({"PERCENT", "MONEY", "ORDINAL"})
DATE_ENTS = frozenset({"DATE", "TIME"})

# Parts of speech allowed inside the counted noun phrase.
NP_POS = frozenset({"ADJ", "NOUN", "PROPN", "X", "NUM"})
NP_ADVERBS = frozenset({"most", "more", "least", "very", "heavily", "lightly", "newly"})
IRREGULAR_PLURALS = frozenset(
    {"people", "children", "men", "women", "police", "personnel", "staff", "troops", "cattle"}
)
NP_MAX_TOKENS = 7


@dataclass
class Quantity:
    """A QUANTITY as a token range, with the rule that ended it (its source)."""

    start: int
    end: int
    rule: str


def _is_month(tok: Token) -> bool:
    """Return whether `tok` names a month ("June", "Oct."), not the verb "may"."""
    return tok.lower_ in MONTHS and not tok.is_lower


def _is_number(doc: Doc, i: int) -> bool:
    """Return whether token i is (part of) a cardinal number."""
    tok = doc[i]
    low = tok.lower_
    if DIGITS.match(tok.text):
        return True
    if low == "one":  # a pronoun or determiner unless it multiplies: "one million"
        return i + 1 < len(doc) and doc[i + 1].lower_ in MULTIPLIERS
    if low in NUMBER_WORDS or low in VAGUE_COUNTS:
        return True
    return low in COUNT_NOUNS and i > 0 and doc[i - 1].lower_ == "a" and i + 1 < len(doc) and doc[i + 1].lower_ == "of"


def _core_end(doc: Doc, i: int) -> int:
    """Return the end of the number core that starts at token i."""
    end = i + 1
    n = len(doc)
    while end < n:
        tok = doc[end]
        if _is_number(doc, end) and not doc[end - 1].is_punct:
            end += 1  # "1.5 million", "two hundred"
        elif (
            tok.lower_ == "of"
            and end + 1 < n
            and doc[end - 1].lower_ in VAGUE_COUNTS
            and doc[end + 1].lower_ in VAGUE_COUNTS
        ):
            end += 2  # "tens of thousands"
        elif tok.text in RANGE_WORDS and end + 1 < n and _is_number(doc, end + 1) and not tok.whitespace_ == "\n":
            end += 2  # "1,500-2,500", "four to five"
        elif (
            tok.lower_ == "and"
            and end + 1 < n
            and _is_number(doc, end + 1)
            and i > 0
            and doc[i - 1].lower_ == "between"
        ):
            end += 2  # "between 200 and 300"
        else:
            break
    return end


def _approximator_start(doc: Doc, start: int, core_end: int) -> int:
    """Return where the approximator in front of the core starts (or `start`)."""
    if start > 0 and doc[start - 1].lower_ == "between" and any(t.lower_ == "and" for t in doc[start:core_end]):
        return start - 1
    if start > 0 and doc[start - 1].lower_ in DIGIT_ONLY_APPROXIMATORS and doc[start].text[:1].isdigit():
        return start - 1
    for words in APPROXIMATORS:
        k = len(words)
        if start - k >= 0 and tuple(t.lower_ for t in doc[start - k : start]) == words:
            return start - k
    if start > 0 and doc[start - 1].lower_ == "a" and doc[start].lower_ in A_COUNTS:
        return start - 1
    return start


def _is_noun(tok: Token, tagged: bool) -> bool:
    """Return whether `tok` can head a counted noun phrase."""
    if not tok.is_alpha:
        return False
    if tagged:
        # Peoples and makes in the plural count too: "3 million Syrians", "five Humvees".
        plural_name = tok.is_title and tok.lower_.endswith("s") and len(tok) > 3
        return tok.pos_ == "NOUN" or (tok.pos_ == "PROPN" and (tok.is_lower or plural_name))
    low = tok.lower_
    return tok.is_lower and (
        low in IRREGULAR_PLURALS or (low.endswith("s") and not low.endswith("ss") and len(low) > 3)
    )


def _in_np(tok: Token, tagged: bool) -> bool:
    """Return whether `tok` can sit inside a counted noun phrase."""
    if tok.lower_ in NP_ADVERBS:
        return True
    if _is_month(tok):
        return False
    if tagged:
        return tok.pos_ in NP_POS
    # Without tags: any word but a lower-case function word ("IS" is no "is").
    return tok.is_alpha and not (tok.is_stop and tok.is_lower)


def _noun_phrase_end(doc: Doc, i: int, tagged: bool) -> int | None:
    """Return the end of the counted noun phrase starting at token i, or None.

    The phrase runs over modifiers, nouns and hyphens, and over "and"/"or"
    joining a second phrase ("17 towns and villages", "two eastern and two
    western districts"); it ends at its last noun.
    """
    n = len(doc)
    last_noun = None
    j = i
    while j < n and j - i < NP_MAX_TOKENS:
        tok = doc[j]
        if tok.text == "-" and j > i and j + 1 < n and not tok.whitespace_ and not doc[j - 1].whitespace_:
            j += 1  # a hyphenated modifier: "border-town"
            continue
        after_conjunction = j > i and doc[j - 1].lower_ in {"and", "or"}
        if tok.lower_ in {"and", "or"} and j > i and j + 1 < n:
            # "towns and villages"; a second number only while the noun is still
            # to come ("two eastern and two western districts"), else it is a
            # quantity of its own ("20 soldiers and 30 civilians").
            if (_in_np(doc[j + 1], tagged) and not _is_number(doc, j + 1)) or (
                _is_number(doc, j + 1) and last_noun is None
            ):
                j += 1
                continue
            break
        if _is_number(doc, j) or tok.pos_ == "NUM":
            if not after_conjunction:
                break  # a second number starts a new quantity
        elif not _in_np(tok, tagged):
            break
        if _is_noun(tok, tagged):
            last_noun = j
        j += 1
    return None if last_noun is None else last_noun + 1


def _right_end(doc: Doc, core_end: int, tagged: bool) -> tuple[int, str]:
    """Return where the quantity ends after its core, and the rule that ended it."""
    n = len(doc)
    if core_end >= n:
        return core_end, "number"
    nxt = doc[core_end]
    if nxt.lower_ in UNITS:
        if nxt.lower_ == "square" and core_end + 1 < n and doc[core_end + 1].lower_ in UNITS:
            return core_end + 2, "unit"
        return core_end + 1, "unit"
    if nxt.text == "-" and core_end + 1 < n and doc[core_end + 1].lower_ == "strong":
        np_end = _noun_phrase_end(doc, core_end + 2, tagged)
        if np_end is None and core_end + 2 < n and doc[core_end + 2].is_alpha and doc[core_end + 2].is_lower:
            np_end = core_end + 3  # untagged: "-strong force", the noun is singular
        return (np_end or core_end + 2), "strength"
    last = doc[core_end - 1].lower_
    if nxt.lower_ == "of" and (last in VAGUE_COUNTS or last in COUNT_NOUNS or last == "dozen"):
        first = doc[core_end + 1] if core_end + 1 < n else None
        # "of them", "of the town" count nothing; "of IS fighters" does ("IS" is no stop word).
        if first is not None and not (first.is_stop and first.is_lower and first.lower_ not in NP_ADVERBS):
            np_end = _noun_phrase_end(doc, core_end + 1, tagged)
            if np_end is not None:
                return np_end, "counted"
        return core_end, "number"
    np_end = _noun_phrase_end(doc, core_end, tagged)
    if np_end is not None:
        return np_end, "counted"
    return core_end, "number"


def _is_count(doc: Doc, span_start: int, start: int, core_end: int, end: int, rule: str) -> bool:
    """Return whether the candidate is a count or measure, not a date, duration, age, share or label.

    `span_start` opens the span (the approximator if any), `start` the number core.
    """
    core = doc[start:core_end]
    tail = doc[core_end:end]
    n = len(doc)
    if any(t.ent_type_ in NEVER_COUNT_ENTS for t in core):
        return False
    if rule == "number" and any(t.ent_type_ in DATE_ENTS for t in core):
        return False
    head = next((t for t in tail if t.lower_ in TIME_UNITS or _is_noun(t, doc.has_annotation("POS"))), None)
    if head is not None and head.lower_ in TIME_UNITS:
        return False  # a duration or frequency: "four to five days", "two more weeks", "9836 times"
    if core_end < n:
        after = doc[core_end]
        if after.lower_ in PERCENT_WORDS or _is_month(after) or after.lower_ in TIME_UNITS:
            return False
        if after.text == "-" and core_end + 1 < n and doc[core_end + 1].lower_ in TIME_UNITS:
            return False  # "850-year-old"
    if start > 0:
        before = doc[start - 1]
        if _is_month(before) or before.lower_ in NUMBER_LABELS or before.text in {"$", "£", "€", "#"}:
            return False
    if rule == "number":
        first = core[0]
        if not first.text[:1].isdigit() and first.lower_ not in VAGUE_COUNTS:
            return False  # a bare number word: "cuts Mosul in two"
        if len(core) == 1 and re.match(r"^(1[89]|20)\d\d$", first.text):
            return False  # a year
        if span_start == start and start > 0 and doc[start - 1].is_title and not at_sentence_start(doc, start - 1):
            return False  # a label: "Brigade 17"
    return True


def _truncated_end(doc: Doc, start: int, end: int) -> int:
    """Cut a word broken off by the end of the text ("fled, 12,000 pe" -> "12,000").

    A text that stops without punctuation on a short lower-case fragment
    was cut off; a whole last word ("... 30 civilians") stays.
    """
    last = doc[end - 1]
    cut = end == len(doc) and not doc.text[-1:].isspace() and last.is_alpha and last.is_lower
    if cut and end - start > 1 and len(last) <= 3 and last.lower_ not in UNITS:
        return end - 1
    return end


def find_quantities(doc: Doc) -> list[Quantity]:
    """Return the QUANTITY token ranges of `doc`, left to right, not overlapping."""
    tagged = doc.has_annotation("POS")
    found: list[Quantity] = []
    i = 0
    n = len(doc)
    while i < n:
        if not _is_number(doc, i):
            i += 1
            continue
        core_end = _core_end(doc, i)
        start = _approximator_start(doc, i, core_end)
        if found and start < found[-1].end:
            start = i
        end, rule = _right_end(doc, core_end, tagged)
        if _is_count(doc, start, i, core_end, end, rule):
            end = _truncated_end(doc, start, end)
            found.append(Quantity(start, end, rule))
            i = end
        else:
            i = max(core_end, i + 1)
    return found


@Language.factory("quantity_spans", default_config={"spans_key": "quantities"})
class QuantityFinder:
    """Write the QUANTITY spans of each doc to doc.spans[spans_key]."""

    def __init__(self, nlp: Language, name: str, *, spans_key: str):
        self.name = name
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        spans = [Span(doc, q.start, q.end, label=QUANTITY, span_id=q.rule) for q in find_quantities(doc)]
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        return doc
