"""The API's JSON parser: json's, but a body nested deeper than IMPORT_MAX_NESTING is a 400 before it is parsed."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from ..formats import limits


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise ParseError(f"JSON parse error - the body is not {encoding} text ({error})") from None
        limit = limits.nesting()
        if limits.json_depth(text, limit) > limit:
            raise ParseError(f"JSON parse error - nested deeper than {limit} levels")
        try:
            return json.loads(text, parse_constant=drf_json.strict_constant if self.strict else None)
        except (ValueError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {error}") from None
