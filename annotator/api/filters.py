"""Query parameters of the API's lists, validated by serializers: a bad value is a 400 naming its parameter.

Each list's view reads `filters(view, SomeFilter)`; drf-spectacular
documents the same serializer as the operation's query parameters (pass the
class in `extend_schema(parameters=[...])`).
"""

from __future__ import annotations

from rest_framework import serializers

from ..models import Annotation
from ..roles import DocumentState
from ..services import gold
from .fields import Int, Text
from .serializers import OWN_STATUSES


class DocumentStateField(serializers.ChoiceField):
    """A document state; "in progress" is read as in_progress (the pages spell it with a space)."""

    def __init__(self, **kwargs):
        super().__init__(choices=DocumentState.values, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(str(data).replace(" ", "_"))


class DocumentFilter(serializers.Serializer):
    state = DocumentStateField(required=False, help_text="Managers and reviewers: documents in this state only.")
    status = serializers.ChoiceField(choices=OWN_STATUSES, required=False, help_text="Your own annotation's status.")
    q = Text(max_length=200, required=False, allow_blank=True, help_text=(
        "Words the document's title and text hold, every one, accents or not (the document list's full-text search)."
    ))

    def validate_state(self, value):
        if value and not self.context.get("overseer"):
            raise serializers.ValidationError("only managers and reviewers see document states")
        return value


class AnnotationFilter(serializers.Serializer):
    document = Int(required=False, help_text="One document's annotations.")
    status = serializers.ChoiceField(choices=Annotation.Status.values, required=False)
    annotator = Text(max_length=150, required=False, help_text="A username.")
    kind = serializers.ChoiceField(choices=Annotation.Kind.values, required=False)


class RecordFilter(serializers.Serializer):
    document = Int(required=False, help_text="One document only.")


class GoldFilter(RecordFilter):
    as_of = Text(max_length=64, required=False, help_text="ISO-8601 time: the gold as it stood then (its revisions up to that time).")

    def validate_as_of(self, value):
        if not value:
            return None
        try:
            return gold.parse_as_of(value)
        except gold.GoldRefused as error:
            raise serializers.ValidationError(str(error)) from None


class PredictionFilter(RecordFilter):
    model = Text(max_length=150, required=False, help_text="The model version (default: the latest).")


class ModelFilter(serializers.Serializer):
    model = Text(max_length=150, required=False, help_text="The extractor version (default: the latest).")


def filters(view, filter_class) -> dict:
    """The view's query parameters, validated by `filter_class` (400 with the parameter's name otherwise)."""
    params = {key: value for key, value in view.request.query_params.items() if value != ""}
    serializer = filter_class(data=params, context=view.get_serializer_context())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
