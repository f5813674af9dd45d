"""The API's input fields: strings, numbers and JSON objects a database can store.

Every write serializer builds on these, so the API refuses exactly what the
file import refuses (formats.limits), in the same words, as a 400.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from ..formats import FormatError, limits

# Ids, offsets and versions fit the database's integers; anything larger is refused as a 400, not a 500.
MAX_INT = 2**31 - 1


def storable(value, field: str = ""):
    """Refuse what no database column takes (a NUL, a lone surrogate, anywhere in a JSON value), in the
    words of the file import (formats.limits): the same input gets the same answer from both."""
    try:
        limits.check_value(value, None, field)
    except FormatError as error:
        where = error.field[len(field) :].lstrip(".") if error.field and error.field != field else ""
        raise serializers.ValidationError(f"{where}: {error.message}" if where else error.message) from None
    return value


class Text(serializers.CharField):
    """A string (not a number: `"text": 12345` is refused) whose value a database can store."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # DRF's own surrogate check walks the string a character at a time in Python (a third of a
        # push of 1,000 documents went there); `storable` refuses lone surrogates (and NULs) first,
        # with a regular expression, so DRF's check never saw a bad value anyway.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitSurrogateCharactersValidator)]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(f"Not a valid string: got {type(data).__name__}.")
        return storable(super().to_internal_value(data))


class DocumentText(Text):
    """A document's text, under the rules of the file import: not only white space, within
    IMPORT_MAX_DOCUMENT_CHARS characters, no NUL, no lone surrogate."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            limits.check_document_text(value, None, "text")
        except FormatError as error:
            raise serializers.ValidationError(error.message) from None
        return value


class Int(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", MAX_INT)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)


class MetaField(serializers.DictField):
    def to_internal_value(self, data):
        return storable(super().to_internal_value(data))
