"""Read the rule patterns kept as JSONL files in patterns/.

Token patterns name word classes ("$nationality", "$force") instead of
repeating the words, so one nationality or force noun added to
patterns/lexicon.json reaches every pattern that uses the class. The lists are
expanded here, once, before the patterns go into spaCy's span ruler; the ruler
then saves the expanded patterns with the pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import srsly

PATTERNS_DIR = Path(__file__).parent / "patterns"
LEXICON_FILE = "lexicon.json"
# The files the domain ruler loads, in order. ignore.jsonl holds spans that
# claim their words for nobody (news agencies, broadcasters).
PATTERN_FILES = ("actors.jsonl", "locations.jsonl", "ignore.jsonl")


@lru_cache(maxsize=4)
def _lexicon_text(directory: Path) -> str:
    return (directory / LEXICON_FILE).read_text(encoding="utf8")


def read_lexicon(directory: Path = PATTERNS_DIR) -> dict[str, list[str]]:
    """Return the named word lists, without the file's "_doc" note."""
    data = json.loads(_lexicon_text(directory))
    return {name: words for name, words in data.items() if not name.startswith("_")}


def patterns_fingerprint(directory: Path = PATTERNS_DIR) -> str:
    """Return the text of every pattern file and the lexicon, for versioning."""
    return "\n".join(path.read_text(encoding="utf8") for path in sorted(directory.iterdir()) if path.is_file())


def expand(value: Any, lexicon: dict[str, list[str]]) -> Any:
    """Replace "$name" items of IN / NOT_IN lists by the words of that list."""
    if isinstance(value, dict):
        return {key: expand(item, lexicon) for key, item in value.items()}
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            if isinstance(item, str) and item.startswith("$"):
                try:
                    out.extend(lexicon[item[1:]])
                except KeyError:
                    raise ValueError(f"pattern names an unknown word list {item!r}") from None
            else:
                out.append(expand(item, lexicon))
        return out
    return value


def read_patterns(files: Iterable[str] = PATTERN_FILES, directory: Path = PATTERNS_DIR) -> list[dict[str, Any]]:
    """Return the patterns of `files` with their word lists expanded."""
    lexicon = read_lexicon(directory)
    patterns: list[dict[str, Any]] = []
    for name in files:
        for line in srsly.read_jsonl(directory / name):
            patterns.append({**line, "pattern": expand(line["pattern"], lexicon)})
    return patterns
