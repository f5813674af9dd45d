"""Readers and writers of annotation formats. Pure: no Django, no ORM.

Each format module has `load(source, name=, on_error=, layer=) -> records`
and `dump(records, report=, layer=) -> pieces`, and says what those are by
its KIND: "text" (lines of str in, str out), "binary" (a binary file in,
bytes out: spaCy's DocBin) or "files" ((stem, text, ann) triples in,
(file name, content) members out: brat). `on_error`, when given, receives
each bad record's FormatError and reading goes on; `report(record, span,
reason)` hears of each span a format cannot hold. `FORMATS` names them.
"""

import importlib
import json
from collections.abc import Mapping

from .records import FormatError, Record, Span, check_spans


class Variant:
    """A format module written with fixed options (doccano's `entities` shape)."""

    def __init__(self, module, **options):
        self._module = module
        self._options = options

    def __getattr__(self, name):
        return getattr(self._module, name)

    def dump(self, records, **kwargs):
        return self._module.dump(records, **self._options, **kwargs)


class _Registry(Mapping):
    """The format modules by name, each imported the first time it is asked for.

    spaCy's DocBin format imports spaCy (about a second and 60 MB): a web
    process or a command that never reads or writes that format should not
    pay for it.
    """

    def __init__(self, entries: dict[str, tuple[str, dict]]):
        self._entries = entries
        self._loaded: dict = {}

    def __getitem__(self, name):
        if name not in self._loaded:
            module_name, options = self._entries[name]
            module = importlib.import_module(f"{__name__}.{module_name}")
            self._loaded[name] = Variant(module, **options) if options else module
        return self._loaded[name]

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)


FORMATS = _Registry(
    {
        "jsonl": ("jsonl", {}),
        "txt": ("txt", {}),
        "prodigy": ("prodigy", {}),
        "spacy": ("docbin", {}),
        "conll": ("conll", {}),
        "doccano": ("doccano", {}),
        "doccano-entities": ("doccano", {"shape": "entities"}),
        "labelstudio": ("labelstudio", {}),
        "brat": ("brat", {}),
    }
)
IMPORT_FORMATS = ["txt", "jsonl", "prodigy", "spacy", "conll", "doccano", "labelstudio", "brat"]
EXPORT_FORMATS = ["jsonl", "prodigy", "spacy", "conll", "doccano", "doccano-entities", "labelstudio", "brat"]

__all__ = [
    "EXPORT_FORMATS",
    "FORMATS",
    "IMPORT_FORMATS",
    "FormatError",
    "Record",
    "Span",
    "check_spans",
    "detect_format",
]

_BY_SUFFIX = {
    ".spacy": "spacy",
    ".conll": "conll",
    ".conll03": "conll",
    ".conllu": "conll",
    ".iob": "conll",
    ".iob2": "conll",
    ".bio": "conll",
    ".bilou": "conll",
    ".iobes": "conll",
    ".ann": "brat",
    ".zip": "brat",
}


def detect_format(path: str, head: str | None = None) -> str:
    """Guess a file's format (the `auto` choice of import_docs) from its name and its first characters.

    `head`, the start of a JSON file, tells the JSON shapes apart: an array
    or a task with "data" is Label Studio's, "tokens" or "_input_hash" or
    "answer" Prodigy's, "label" / "labels" / "entities" without "spans"
    doccano's, anything else canonical JSONL.
    """
    lower = path.lower().rstrip("/")
    for suffix, name in _BY_SUFFIX.items():
        if lower.endswith(suffix):
            return name
    if not lower.endswith((".jsonl", ".ndjson", ".json")):
        return "txt"
    if head is None:
        return "jsonl"
    start = head.lstrip()
    if start.startswith("["):
        return "labelstudio"
    keys = _top_keys(start)
    if "data" in keys and keys & {"annotations", "predictions", "completions", "id"}:
        return "labelstudio"
    if keys & {"_input_hash", "_task_hash", "tokens", "answer"}:
        return "prodigy"
    if "spans" not in keys and keys & {"label", "labels", "entities"}:
        return "doccano"
    return "jsonl"


def _top_keys(head: str) -> set[str]:
    """The keys of the first JSON object in `head`, or a guess from its first line if it is cut short."""
    try:
        value, _ = json.JSONDecoder().raw_decode(head)
    except ValueError:
        first = head.split("\n", 1)[0]
        return {key for key in ("data", "annotations", "predictions", "_input_hash", "tokens", "answer", "spans", "label", "labels", "entities") if f'"{key}"' in first}
    return set(value) if isinstance(value, dict) else set()
