"""Merge the candidate spans of the model and the rules into the extractor's spans.

Every other component proposes: the pretrained NER (doc.ents), the domain
patterns, the dateline finder, the quantity finder. This component decides,
and writes the result under one key of doc.spans with a source and a score
per span (in the group's attrs, as spaCy's spancat keeps its scores):

1. page furniture claims its tokens first, so nothing inside it survives;
2. every candidate gets the boundary rules of LABELS.md (boundaries.tidy),
   and a listed place inside a longer model name gives way to the name
   ("Kurdistan Workers Party");
3. candidates are taken by tier (the order of `sources`, then the model),
   longest first; a model span that overlaps a rule span keeps only its
   free part if that still reads as a name ("Islamic State Abu Bakr
   al-Baghdadi" -> the person);
4. one sense per document: all mentions of a text get one label, the
   rules' if any rule labelled it, else the model's majority with place
   contexts ("in Raqa", "retake Raqa") voting LOCATION; both ends of
   "from X to Y" are places if one is;
5. names found once are found again where the model missed them.

Sources and tiers are configuration, so the same component with no sources
and no rules is the baseline: the model's entity types mapped to labels.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from . import boundaries
from .labels import ACTOR, IGNORE, LOCATION, NER_NAME_MAP, QUANTITY, SPANS_KEY
from .lexicon import read_lexicon

# "from Hama to Raqqa", "linking Ithriya to Khanaser", "between al-Qaim and Albu Kamal".
PATH_WORDS = frozenset({"from", "linking", "connecting", "between"})
PATH_JOINERS = frozenset({"to", "and"})
# Tie-break among rule spans of one length: a named entry beats a context cue.
CUE_PREFIX = "cue:"
ARABIC_NAME_CUE = "cue:arabic-name"
GAZETTEER_PLACE = "ruler:place"
# Rules whose only evidence is a capital letter ("the Coalition").
CAPITAL_ONLY_RULES = frozenset({"ruler:capitalised-name"})


@cache
def _words(name: str) -> frozenset[str]:
    """Return a word list of patterns/lexicon.json as a set."""
    return frozenset(read_lexicon()[name])


def _locative_context(doc: Doc, start: int) -> bool:
    """Return whether the words before token `start` speak of a place.

    "in Raqa", "near al-Qaim", "retake Raqa", "the fall of al-Qaim": a
    preposition of place right before the name (not "in the ..."), or a verb
    or noun of taking territory before it.
    """
    if start == 0:
        return False
    prev = doc[start - 1].lower_
    if prev in _words("locative_preposition") or prev in _words("territorial_verb"):
        return True
    return start > 1 and prev in {"of", "for", "on"} and doc[start - 2].lower_ in _words("territorial_verb")


@dataclass
class Candidate:
    """A proposed span (token range) with where it came from and how much that counts."""

    start: int
    end: int
    label: str
    source: str
    tier: int
    person: bool = False

    @property
    def rank(self) -> tuple[int, int, int, int]:
        """Sort key: tier first, then longer spans, then named entries before context cues."""
        cue = 1 if CUE_PREFIX in self.source else 0
        return (self.tier, -(self.end - self.start), cue, self.start)


DEFAULT_SCORES = {"quantities": 0.9, "ruler": 0.9, "dateline": 0.85, "ner": 0.7, "propagated": 0.6, "default": 0.5}


@Language.factory(
    "span_resolver",
    default_config={
        "spans_key": SPANS_KEY,
        "sources": ["quantities", "ruler", "dateline"],
        "ner_labels": NER_NAME_MAP,
        "furniture_key": "furniture",
        "scores": DEFAULT_SCORES,
        "tidy": True,
        "propagate": True,
    },
)
class SpanResolver:
    """The component that chooses non-overlapping ACTOR/LOCATION/QUANTITY spans from all candidates.

    It writes them to doc.spans[spans_key]. `sources` are span keys read as
    candidates, highest tier first; the pretrained model's entities (mapped
    by `ner_labels`) come after them. With `tidy` and `propagate` off and no
    sources it is the bare label map. Registered as the spaCy factory itself:
    its keyword arguments are the config spaCy validates.
    """

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        spans_key: str,
        sources: list[str],
        ner_labels: dict[str, str],
        furniture_key: str,
        scores: dict[str, float],
        tidy: bool,
        propagate: bool,
    ):
        self.name = name
        self.spans_key = spans_key
        self.sources = list(sources)
        self.ner_labels = dict(ner_labels)
        self.furniture_key = furniture_key
        self.scores = dict(scores)
        self.tidy = tidy
        self.propagate = propagate

    # -- candidates -------------------------------------------------------

    def _candidates(self, doc: Doc) -> list[Candidate]:
        found = []
        for tier, key in enumerate(self.sources):
            for span in doc.spans.get(key, []):
                source = f"{key}:{span.id_}" if span.id_ else key
                found.append(Candidate(span.start, span.end, span.label_, source, tier, source.endswith("person")))
        model_tier = len(self.sources)
        for ent in doc.ents:
            label = self.ner_labels.get(ent.label_)
            if not label:
                continue
            for start, end in self._split_model_span(doc, ent) if self.tidy else [(ent.start, ent.end)]:
                found.append(Candidate(start, end, label, f"ner:{ent.label_}", model_tier, ent.label_ == "PERSON"))
        if not self.tidy:
            return found
        found = self._drop_places_inside_names(doc, found)
        tidied = []
        for cand in found:
            if cand.label in (QUANTITY, IGNORE):
                tidied.append(cand)
                continue
            cut = boundaries.tidy(doc, cand.start, cand.end, cand.label, person=cand.person)
            if cut is None or not self._reads_as_name(doc, *cut, cand):
                continue
            cand.start, cand.end = cut
            tidied.append(cand)
        return tidied

    @staticmethod
    def _drop_places_inside_names(doc: Doc, found: list[Candidate]) -> list[Candidate]:
        """Let a model name that contains a listed place win over the place.

        "Kurdistan Workers Party", "Amriyat al-Falluja", "Mosul University":
        the gazetteer knows the place, the model the whole name. The model
        span wins only when all its other words are name words too, so
        "Hama to Raqqa" still falls apart.
        """
        model = [c for c in found if c.source.startswith("ner:")]

        def inside_a_name(place: Candidate) -> bool:
            for name in model:
                if (
                    name.start <= place.start
                    and place.end <= name.end
                    and name.end - name.start > place.end - place.start
                ):
                    extra = [*doc[name.start : place.start], *doc[place.end : name.end]]
                    if all(t.is_title or t.text == "-" or t.lower_ in boundaries.ARABIC_ARTICLES for t in extra):
                        return True
            return False

        return [c for c in found if not (c.source == GAZETTEER_PLACE and inside_a_name(c))]

    @staticmethod
    def _split_model_span(doc: Doc, ent: Span) -> list[tuple[int, int]]:
        """Split a model span at a lower-case "to" between names ("Hama to Raqqa")."""
        parts, start = [], ent.start
        for tok in ent:
            if tok.text == "to" and tok.i > start:
                parts.append((start, tok.i))
                start = tok.i + 1
        parts.append((start, ent.end))
        return [(a, b) for a, b in parts if b > a]

    def _reads_as_name(self, doc: Doc, start: int, end: int, cand: Candidate) -> bool:
        """Return whether a model span (or what is left of it) can be a name."""
        if cand.label == ACTOR and boundaries.in_capitals_run(doc, start, end):
            return False
        if cand.source in CAPITAL_ONLY_RULES and boundaries.at_sentence_start(doc, start):
            return False  # "Coalition spokesman ..." opens a sentence: no name
        if not cand.source.startswith("ner:"):
            return True
        words = [t for t in doc[start:end] if t.is_alpha]
        if not boundaries.has_name_token(doc[start:end]):
            return False
        # Nationality adjectives and titles alone are no names ("Kurdish", "Colonel").
        return any(t.lower_ not in boundaries.NATIONALITIES and t.lower_ not in boundaries.TITLE_WORDS for t in words)

    # -- selection --------------------------------------------------------

    @staticmethod
    def _free_run(free: list[bool], start: int, end: int) -> tuple[int, int] | None:
        """Return the longest run of free tokens in [start, end)."""
        best = None
        i = start
        while i < end:
            if not free[i]:
                i += 1
                continue
            j = i
            while j < end and free[j]:
                j += 1
            if best is None or j - i > best[1] - best[0]:
                best = (i, j)
            i = j
        return best

    def _select(self, doc: Doc, candidates: list[Candidate], free: list[bool]) -> list[Candidate]:
        chosen = []
        for cand in sorted(candidates, key=lambda c: c.rank):
            if not all(free[cand.start : cand.end]):
                if not cand.source.startswith("ner:") or not self.tidy:
                    continue
                run = self._free_run(free, cand.start, cand.end)
                if run is None:
                    continue
                cut = boundaries.tidy(doc, *run, cand.label, person=cand.person)
                if cut is None or not self._reads_as_name(doc, *cut, cand):
                    continue
                cand.start, cand.end = cut
            for i in range(cand.start, cand.end):
                free[i] = False
            chosen.append(cand)
        return chosen

    # -- document-level consistency ---------------------------------------

    @staticmethod
    def _surnames(doc: Doc, chosen: list[Candidate]) -> dict[str, tuple[str, ...]]:
        """Return the surname forms of the people named in full ("al-Baghdadi", "Baghdadi")."""
        forms: dict[str, tuple[str, ...]] = {}
        for cand in chosen:
            if not cand.person or cand.end - cand.start < 2:
                continue
            tokens = doc[cand.start : cand.end]
            # A given name must come first: "al-Qaim" alone is no person's full name.
            if not tokens[0].is_title or tokens[0].lower_ in boundaries.ARABIC_ARTICLES:
                continue
            last = tokens[-1]
            if last.is_title and len(last) > 2:
                forms[last.text] = (last.text,)
            if len(tokens) >= 4 and tokens[-2].text == "-" and tokens[-3].lower_ in boundaries.ARABIC_ARTICLES:
                forms[tokens[-3:].text] = tuple(t.text for t in tokens[-3:])
        return forms

    def _harmonise(self, doc: Doc, chosen: list[Candidate]) -> None:
        """Give every mention of a name the label the document settles on.

        The pretrained model types one name differently from mention to
        mention ("Raqa" a GPE here and an ORG there). If rules labelled the
        text somewhere, their label wins; otherwise the model's mentions
        vote, a mention in a place context ("in Raqa", "retake Raqa")
        counting once more for LOCATION. A lone "al-X" that is a person's
        surname in this document is an ACTOR.
        """
        surnames = self._surnames(doc, chosen)
        rule_votes: dict[str, Counter] = defaultdict(Counter)
        model_votes: dict[str, Counter] = defaultdict(Counter)
        for cand in chosen:
            if cand.label not in (ACTOR, LOCATION):
                continue
            text = doc[cand.start : cand.end].text
            if ARABIC_NAME_CUE in cand.source and text in surnames:
                cand.label = ACTOR
            if cand.source.startswith("ner:"):
                place_context = cand.label == ACTOR and _locative_context(doc, cand.start)
                model_votes[text][LOCATION if place_context else cand.label] += 1
            else:
                rule_votes[text][cand.label] += 1
        for cand in chosen:
            if cand.label not in (ACTOR, LOCATION) or not cand.source.startswith("ner:"):
                continue
            text = doc[cand.start : cand.end].text
            ranked = (rule_votes.get(text) or model_votes[text]).most_common()
            if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
                cand.label = ranked[0][0]
        self._join_paths(doc, chosen)

    @staticmethod
    def _join_paths(doc: Doc, chosen: list[Candidate]) -> None:
        """Make both ends of "from X to Y" / "linking X to Y" places when one of them is."""
        by_start = {c.start: c for c in chosen}
        by_end = {c.end: c for c in chosen}
        for cand in sorted(chosen, key=lambda c: c.start):
            if cand.label != ACTOR or not cand.source.startswith("ner:"):
                continue
            before = doc[cand.start - 1].lower_ if cand.start > 0 else ""
            after = doc[cand.end].lower_ if cand.end < len(doc) else ""
            if before in PATH_WORDS and after in PATH_JOINERS:
                other = by_start.get(cand.end + 1)
            elif before in PATH_JOINERS:
                other = by_end.get(cand.start - 1)
                if other is not None and (other.start == 0 or doc[other.start - 1].lower_ not in PATH_WORDS):
                    other = None
            else:
                other = None
            if other is not None and other.label == LOCATION:
                cand.label = LOCATION

    def _propagate(self, doc: Doc, chosen: list[Candidate], free: list[bool]) -> list[Candidate]:
        """Label again, where still free, every text the document labelled once."""
        names: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for cand in chosen:
            if cand.label not in (ACTOR, LOCATION):
                continue
            words = tuple(t.text for t in doc[cand.start : cand.end])
            if words[0][:1].isupper() and len("".join(words)) > 1:
                names.setdefault(words[0], []).append((words, cand.label))
        for words in self._surnames(doc, chosen).values():
            names.setdefault(words[0], []).append((words, ACTOR))
        for options in names.values():
            options.sort(key=lambda o: -len(o[0]))
        added = []
        n = len(doc)
        for i, tok in enumerate(doc):
            if not free[i] or tok.text not in names:
                continue
            for words, label in names[tok.text]:
                end = i + len(words)
                if end > n or not all(free[i:end]) or tuple(t.text for t in doc[i:end]) != words:
                    continue
                # Not a piece of a longer name ("Rahman" in "Mizanur Rahman"),
                # and within the boundary rules ("Iran" in "Iran-backed").
                if (i > 0 and doc[i - 1].is_title and not boundaries.at_sentence_start(doc, i - 1)) or (
                    end < n and doc[end].is_title
                ):
                    continue
                if boundaries.tidy(doc, i, end, label) != (i, end) or boundaries.in_capitals_run(doc, i, end):
                    continue
                for k in range(i, end):
                    free[k] = False
                added.append(Candidate(i, end, label, "propagated", len(self.sources) + 1))
                break
        return added

    # -- the component ----------------------------------------------------

    def score(self, source: str) -> float:
        """Return the confidence given to spans of `source` ("ruler:group" -> scores["ruler"])."""
        return self.scores.get(source.split(":", 1)[0], self.scores.get("default", 0.5))

    def __call__(self, doc: Doc) -> Doc:
        free = [True] * len(doc)
        if self.furniture_key:
            for span in doc.spans.get(self.furniture_key, []):
                for i in range(span.start, span.end):
                    free[i] = False
        chosen = self._select(doc, self._candidates(doc), free)
        if self.tidy:
            self._harmonise(doc, chosen)
        if self.propagate:
            chosen += self._propagate(doc, chosen, free)
        chosen = sorted((c for c in chosen if c.label != IGNORE), key=lambda c: c.start)
        spans = [Span(doc, c.start, c.end, label=c.label) for c in chosen]
        attrs = {"sources": [c.source for c in chosen], "scores": [self.score(c.source) for c in chosen]}
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, attrs=attrs, spans=spans)
        return doc
