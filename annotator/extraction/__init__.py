"""The extractor: a spaCy pipeline that suggests ACTOR, LOCATION and QUANTITY spans.

This package knows nothing of Django. The app talks to it through
`load_extractor()`, `token_offsets()` and the trainer (`training`). They are
looked up on first use (PEP 562): importing the package, or `from
annotator.extraction import training`, does not import spaCy (about a
second and 60 MB), so a web process or a command that never runs the
extractor does without it.
"""

import importlib
import importlib.util
import sys

_HOMES = {"Extractor": "pipeline", "load_extractor": "pipeline", "token_offsets": "tokens"}
# Submodules handed out as lazy modules: executed when one of their names is first used.
_LAZY_MODULES = ("training",)

__all__ = ["Extractor", "load_extractor", "token_offsets"]


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    if name in _LAZY_MODULES:
        return _lazy_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _lazy_module(qualified: str):
    """The module `qualified`, registered now and executed on first attribute use (importlib.util.LazyLoader)."""
    module = sys.modules.get(qualified)
    if module is None:
        spec = importlib.util.find_spec(qualified)
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
    return module
