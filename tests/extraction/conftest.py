"""Fixtures for the extractor's tests: a blank pipeline with the rules, and the real one.

The blank pipeline (spacy.blank("en") plus the rule components and the
project's patterns) loads in a fraction of a second, so most tests use it.
Tests that need the pretrained pipeline are marked `slow` and share one
instance per session.
"""

import re
from pathlib import Path

import pytest
import spacy

from annotator.extraction.pipeline import add_rule_components, load_extractor, spans_of

DATA = Path(__file__).parent / "data"
MARKUP = re.compile(r"\[([^\]]+)\]\((ACTOR|LOCATION|QUANTITY)\)")


@pytest.fixture(scope="session")
def rules_nlp():
    """A blank English pipeline with the rule components and patterns: no model weights."""
    return add_rule_components(spacy.blank("en"))


@pytest.fixture(scope="session")
def extract(rules_nlp):
    """Return a function: text -> [(span text, label)] from the blank rules pipeline."""

    def run(text: str) -> list[tuple[str, str]]:
        return [(text[s["start"] : s["end"]], s["label"]) for s in spans_of(rules_nlp(text))]

    return run


@pytest.fixture(scope="session")
def pretrained():
    """The full extractor on the pretrained pipeline (for tests marked slow)."""
    extractor = load_extractor()
    if extractor.warnings:
        pytest.skip(extractor.warnings[0])
    return extractor


def parse_markup(block: str) -> tuple[str, list[tuple[str, int, int]]]:
    """Turn "[Iraqi forces](ACTOR) took [Mosul](LOCATION)" into text and (label, start, end) spans."""
    parts: list[str] = []
    spans = []
    pos = 0
    for match in MARKUP.finditer(block):
        parts.append(block[pos : match.start()])
        start = sum(map(len, parts))
        parts.append(match.group(1))
        spans.append((match.group(2), start, start + len(match.group(1))))
        pos = match.end()
    parts.append(block[pos:])
    return "".join(parts), spans


def heldout_articles() -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Return the hand-annotated held-out articles as (text, spans)."""
    blocks = (DATA / "heldout_articles.md").read_text(encoding="utf8").split("\n=====\n")[1:]
    return [parse_markup(block.strip("\n")) for block in blocks]
