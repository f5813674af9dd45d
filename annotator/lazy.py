"""Modules imported on first use. Pure: no Django.

spaCy takes about a second and 60 MB to import. Only the processes that run
the extractor, train, or read and write a token format need it; a web
process or a command like `export --help` should start without it. A lazy
module is registered at once and executed when one of its names is first
used (importlib.util.LazyLoader), so `spacy = lazy_module("spacy")` at the
top of a module costs nothing until `spacy.blank(...)` runs.
"""

from __future__ import annotations

import importlib.util
import sys
import threading

_lock = threading.Lock()


def lazy_module(name: str):
    """The module `name`: the real one if already imported, else one that imports itself on first use."""
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.find_spec(name)
            if spec is None:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            spec.loader = importlib.util.LazyLoader(spec.loader)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        return module
