"""The extractor: a spaCy pipeline that suggests ACTOR, LOCATION and QUANTITY spans.

This package knows nothing of Django. The app talks to it through
`load_extractor()`, `token_offsets()` and the trainer (`training`). They are
looked up on first use (PEP 562): importing the package, or `from
annotator.extraction import training`, does not import spaCy (about a
second and 60 MB), so a web process or a command that never runs the
extractor does without it.
"""

import importlib

from ..lazy import lazy_module

# Where each name lives (token offsets have one home, formats.tokens, with its one tokenizer cache).
_HOMES = {
    "Extractor": f"{__name__}.pipeline",
    "load_extractor": f"{__name__}.pipeline",
    "token_offsets": "annotator.formats.tokens",
}
# Submodules handed out as lazy modules: executed when one of their names is first used.
_LAZY_MODULES = ("training",)

__all__ = ["Extractor", "load_extractor", "token_offsets"]


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    if name in _LAZY_MODULES:
        return lazy_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

