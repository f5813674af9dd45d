"""The extractor: a spaCy pipeline that suggests ACTOR, LOCATION and QUANTITY spans.

This package knows nothing of Django. The app talks to it through
`load_extractor()` and `token_offsets()` only.
"""

from .pipeline import Extractor, load_extractor
from .tokens import token_offsets

__all__ = ["Extractor", "load_extractor", "token_offsets"]
