"""Pure scoring of spans: no Django, no spaCy."""

from .spans import Counts, Span, overlap, score, spans_from_records, strict, unlabelled

__all__ = ["Counts", "Span", "overlap", "score", "spans_from_records", "strict", "unlabelled"]
