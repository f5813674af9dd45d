"""What the API reads and writes. Read serializers shape model rows; write serializers only validate input.

Spans travel as the canonical JSONL span: character offsets into the
document text (Python str indices, end exclusive) and the label's name.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..roles import AnnotationStatus, DocumentState, Layer, Role
from ..formats import EXPORT_FORMATS, limits
from ..models import Annotation, AnnotationSpan, Document, ExtractorVersion, Label, Project, TaskRun
from .fields import MAX_INT, DocumentText, Int, MetaField, Text

STATES = tuple(DocumentState.values)
OWN_STATUSES = ("new", *AnnotationStatus.values)  # "new": not started by you
LAYERS = tuple(Layer.values)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class StaleSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current_version = serializers.IntegerField(help_text="The annotation's version now: send it with the next edit.")


# ---------------------------------------------------------------- projects and labels


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color", "hotkey", "description", "order"]


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="Your role in the project.")
    document_count = serializers.IntegerField(read_only=True, help_text="How many documents the project has.")

    class Meta:
        model = Project
        fields = [
            "slug",
            "name",
            "description",
            "guidelines",
            "annotators_per_document",
            "work_order",
            "review_single",
            "annotate_gold_documents",
            "submissions_replace_gold",
            "created_at",
            "role",
            "document_count",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=Role.values, allow_null=True))
    def get_role(self, project) -> str | None:
        return self.context.get("roles", {}).get(project.pk)


# ---------------------------------------------------------------- spans and records


class SpanList(serializers.ListSerializer):
    """Spans in a push, taken in plain Python when every one is plainly well formed; else through DRF.

    A push of 1,000 documents carries 30,000 spans, and DRF runs a
    serializer over each span's six fields (most of a push's time). A list
    whose spans are all dicts of whole numbers in range, labels and texts a
    database can store and finite scores is returned as DRF would return it
    (`plain_spans`); anything else is handed to DRF, which words the errors
    as before.
    """

    def to_internal_value(self, data):
        if isinstance(data, list) and (data or self.allow_empty) and (self.max_length is None or len(data) <= self.max_length):
            spans = plain_spans(data, scored=isinstance(self.child, ScoredSpanSerializer))
            if spans is not None:
                return spans
        return super().to_internal_value(data)


def plain_spans(items: list, *, scored: bool) -> list[dict] | None:
    """The validated spans, or None if any item is not plainly well formed (DRF then decides)."""
    out = []
    for item in items:
        if type(item) is not dict:
            return None
        start, end, label = item.get("start"), item.get("end"), item.get("label")
        if type(start) is not int or type(end) is not int or not (0 <= start <= MAX_INT and 1 <= end <= MAX_INT):
            return None
        if not _plain_text(label, 64, trimmed=True) or not label:
            return None
        span = {"start": start, "end": end, "label": label}
        if "text" in item:
            if not _plain_text(item["text"], None, trimmed=False):
                return None
            span["text"] = item["text"]
        if scored and "score" in item:
            score = item["score"]
            if score is not None and (type(score) not in (int, float) or not -(2**53) < score < 2**53):
                return None  # a bool, a string, NaN, an infinity or a huge number: DRF's answer
            span["score"] = None if score is None else float(score)
        if scored and "source" in item:
            if item["source"] is not None and not _plain_text(item["source"], 100, trimmed=True):
                return None
            span["source"] = item["source"]
        out.append(span)
    return out


def _plain_text(value, max_length: int | None, *, trimmed: bool) -> bool:
    """A str DRF's Text field would return unchanged: storable, within max_length, no white space to trim."""
    return (
        type(value) is str
        and (max_length is None or len(value) <= max_length)
        and (not trimmed or value == value.strip())
        and limits.text_problem(value) is None
    )


class SpanSerializer(serializers.Serializer):
    start = Int()
    end = Int(min_value=1)
    label = Text(max_length=64)
    text = Text(required=False, allow_blank=True, trim_whitespace=False, help_text="Must equal text[start:end] when given.")

    class Meta:
        list_serializer_class = SpanList


class ScoredSpanSerializer(SpanSerializer):
    score = serializers.FloatField(required=False, allow_null=True)
    source = Text(required=False, allow_blank=True, allow_null=True, max_length=100)


class RecordSerializer(serializers.Serializer):
    """A document with the spans of one layer: the canonical JSONL line, plus the document's id here."""

    document = serializers.IntegerField(help_text="The document's id in this app.")
    id = serializers.CharField(help_text="The id the document came with (or its id here).")
    text = serializers.CharField()
    spans = ScoredSpanSerializer(many=True)
    meta = serializers.DictField()


class DocumentInSerializer(serializers.Serializer):
    id = Text(required=False, allow_blank=True, max_length=255)
    text = DocumentText()
    spans = ScoredSpanSerializer(
        many=True, required=False, help_text="Spans for the layer (score and source are kept by the model layer)."
    )
    meta = MetaField(required=False)


class DocumentsPushSerializer(serializers.Serializer):
    """Documents, and the spans of one layer, in one request (gold by default)."""

    documents = DocumentInSerializer(many=True, allow_empty=False, max_length=1000)
    layer = serializers.ChoiceField(
        choices=LAYERS, default="gold", help_text="The layer the documents' spans go to: gold, model or annotations."
    )
    model = Text(max_length=150, required=False, help_text="Layer model: the name the predictions are stored under.")
    annotator = Text(max_length=150, required=False, help_text="Layer annotations: whose annotations (a member's username).")
    predict = serializers.BooleanField(
        default=False, help_text="Start a background prediction run with the current extractor afterwards."
    )

    def validate(self, data):
        if data["layer"] == "model" and not data.get("model"):
            raise serializers.ValidationError({"model": "layer model needs the name of the model the spans come from"})
        if data["layer"] == "annotations" and not data.get("annotator"):
            raise serializers.ValidationError({"annotator": "layer annotations needs the annotator's username"})
        return data


class PushResultSerializer(serializers.Serializer):
    documents_created = serializers.IntegerField()
    documents_existing = serializers.IntegerField()
    spans = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.CharField())
    task = serializers.IntegerField(allow_null=True, help_text="The prediction run started, if asked for.")


class PredictionInSerializer(serializers.Serializer):
    document = Int(required=False, help_text="A document of the project, by its id here…")
    id = Text(required=False, allow_blank=True, max_length=255)
    text = DocumentText(required=False, help_text="…or a text (a new one becomes a document).")
    spans = ScoredSpanSerializer(many=True)
    meta = MetaField(required=False)

    def validate(self, data):
        if ("document" in data) == ("text" in data):
            raise serializers.ValidationError("give either document (an id) or text")
        return data


class PredictionsPushSerializer(serializers.Serializer):
    model = Text(max_length=150, help_text="The name the predictions are stored under (one model version).")
    documents = PredictionInSerializer(many=True, allow_empty=False, max_length=1000)


# ---------------------------------------------------------------- documents


class DocumentSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField(help_text="Managers and reviewers only (null for annotators).")
    has_gold = serializers.SerializerMethodField(help_text="Managers and reviewers only (null for annotators).")
    submitted = serializers.SerializerMethodField(help_text="Annotations submitted (managers and reviewers only).")
    my_status = serializers.SerializerMethodField(help_text="Your own annotation's status.")
    my_annotation = serializers.SerializerMethodField(help_text="Your own annotation's id, if you have one.")

    class Meta:
        model = Document
        fields = ["id", "external_id", "title", "order", "created_at", "state", "has_gold", "submitted", "my_status", "my_annotation"]

    def _overseer(self) -> bool:
        return self.context.get("overseer", False)

    @extend_schema_field(serializers.ChoiceField(choices=STATES, allow_null=True))
    def get_state(self, document) -> str | None:
        return getattr(document, "state", None) if self._overseer() else None

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_has_gold(self, document) -> bool | None:
        return document.gold_at is not None if self._overseer() else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_submitted(self, document) -> int | None:
        return getattr(document, "submitted", 0) if self._overseer() else None

    @extend_schema_field(serializers.ChoiceField(choices=OWN_STATUSES))
    def get_my_status(self, document) -> str:
        return getattr(document, "my_status", None) or "new"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_my_annotation(self, document) -> int | None:
        return getattr(document, "my_annotation", None)


class DocumentDetailSerializer(DocumentSerializer):
    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "text", "meta", "tokens"]


# ---------------------------------------------------------------- annotations


class AnnotationSpanSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="label.name")
    text = serializers.SerializerMethodField()

    class Meta:
        model = AnnotationSpan
        fields = ["id", "start", "end", "label", "origin", "text"]

    def get_text(self, span) -> str:
        text = self.context.get("text")
        if text is None:
            text = span.annotation.document.text
        return text[span.start : span.end]


class AnnotationSerializer(serializers.ModelSerializer):
    annotator = serializers.CharField(source="annotator.username")
    span_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Annotation
        fields = ["id", "document", "annotator", "kind", "status", "version", "time_spent", "created_at", "updated_at", "submitted_at", "span_count"]


class AnnotationDetailSerializer(AnnotationSerializer):
    spans = serializers.SerializerMethodField()

    class Meta(AnnotationSerializer.Meta):
        fields = [*AnnotationSerializer.Meta.fields, "spans"]

    @extend_schema_field(AnnotationSpanSerializer(many=True))
    def get_spans(self, annotation):
        spans = annotation.spans.select_related("label").order_by("start")
        return AnnotationSpanSerializer(spans, many=True, context={"text": annotation.document.text}).data


class VersionSerializer(serializers.Serializer):
    version = Int(help_text="The annotation version the change is based on.")
    elapsed = serializers.FloatField(required=False, default=0, min_value=0, max_value=86400, help_text="Seconds of work to add.")


class SubmitSerializer(VersionSerializer):
    confirm = serializers.BooleanField(
        required=False, default=False,
        help_text="A reviewer's copy: accept even though it removes or relabels spans of the current gold.",
    )


class SpanAddSerializer(VersionSerializer):
    start = Int()
    end = Int()
    label = Text(max_length=64, help_text="The label's name (or id).")


class SpanChangeSerializer(VersionSerializer):
    start = Int(required=False)
    end = Int(required=False)
    label = Text(max_length=64, required=False, help_text="The label's name (or id).")


class SpanEditResultSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The annotation's new version.")
    span = AnnotationSpanSerializer(allow_null=True)


class StatusResultSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Annotation.Status.choices)


# ---------------------------------------------------------------- models, tasks, exports, evaluation


class ExtractorVersionSerializer(serializers.ModelSerializer):
    documents = serializers.IntegerField(read_only=True, help_text="Documents of the project it predicted.")

    class Meta:
        model = ExtractorVersion
        fields = ["version", "name", "base_model", "warnings", "created_at", "documents"]


class TaskRunSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default=None, allow_null=True)
    percent = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField(help_text="Where a finished export is downloaded (null otherwise).")
    page = serializers.SerializerMethodField(help_text="The page with the self-updating progress bar.")

    class Meta:
        model = TaskRun
        fields = [
            "id",
            "kind",
            "status",
            "user",
            "params",
            "done",
            "total",
            "percent",
            "errors",
            "result",
            "created_at",
            "started_at",
            "finished_at",
            "url",
            "download",
            "page",
        ]

    def _request(self):
        return self.context.get("request")

    def _absolute(self, path: str) -> str:
        request = self._request()
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, run) -> str:
        return self._absolute(reverse("api-task-detail", args=[run.project.slug, run.pk]))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download(self, run) -> str | None:
        if run.kind != TaskRun.Kind.EXPORT or run.status != TaskRun.Status.DONE:
            return None
        return self._absolute(reverse("api-task-download", args=[run.project.slug, run.pk]))

    def get_page(self, run) -> str:
        return self._absolute(reverse("task_detail", args=[run.project.slug, run.pk]))


class ExportStartSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=EXPORT_FORMATS)
    layer = serializers.ChoiceField(choices=LAYERS, default=Layer.GOLD)
    model = Text(max_length=150, required=False, allow_blank=True, help_text="Layer model: the version (default the latest).")
    annotator = Text(max_length=150, required=False, allow_blank=True, help_text="Layer annotations: one annotator's only.")
    as_of = Text(
        max_length=64, required=False, allow_blank=True,
        help_text="Layer gold: ISO-8601 time; the gold as it stood then.",
    )


class EvaluationStartSerializer(serializers.Serializer):
    model = Text(max_length=150, required=False, allow_blank=True, help_text="Extractor version (default: the latest).")


@extend_schema_field(OpenApiTypes.OBJECT)
class ScoresField(serializers.DictField):
    """The `evaluate --json` object."""


class FreshnessSerializer(serializers.Serializer):
    """Where a score's numbers come from and how old they are (a GET never computes a large project's)."""

    source = serializers.ChoiceField(
        choices=["live", "snapshot", "none"],
        help_text="live: computed in this request (a small project); snapshot: stored by a background run; none: not computed yet.",
    )
    computed_at = serializers.DateTimeField(allow_null=True)
    age_seconds = serializers.FloatField(allow_null=True)
    stale = serializers.BooleanField(help_text="The project changed since: POST to compute them again in the background.")


class EvaluationSerializer(FreshnessSerializer):
    extractor = serializers.CharField()
    evaluation_run = serializers.IntegerField(allow_null=True)
    gold_documents = serializers.IntegerField()
    predicted_documents = serializers.IntegerField(allow_null=True)
    documents = serializers.IntegerField(allow_null=True)
    schemes = ScoresField(help_text="strict, exact, partial, type, unlabelled: micro, macro, per_label.")
    results = ScoresField(help_text="Everything `evaluate --json` prints (confusion, kinds, spans…).")


class AgreementEntrySerializer(serializers.Serializer):
    documents = serializers.IntegerField(help_text="Documents both annotated (overall: shared by two or more).")
    f1_strict = serializers.FloatField(allow_null=True)
    f1_unlabelled = serializers.FloatField(allow_null=True)
    f1_overlap = serializers.FloatField(allow_null=True)
    cohen_kappa = serializers.FloatField(allow_null=True)
    per_label = ScoresField()


class AgreementPairSerializer(AgreementEntrySerializer):
    a = serializers.CharField()
    b = serializers.CharField()


class AgreementDocumentSerializer(serializers.Serializer):
    document = serializers.IntegerField()
    id = serializers.CharField()
    f1_strict = serializers.FloatField(allow_null=True)
    cohen_kappa = serializers.FloatField(allow_null=True)


class AgreementSerializer(FreshnessSerializer):
    """What `manage.py agreement --json` prints, over the submitted annotations; `documents` holds the
    lowest-agreement ones (at most selectors.dashboards.LOWEST) of `documents_scored`."""

    pairs = AgreementPairSerializer(many=True)
    overall = AgreementEntrySerializer()
    krippendorff_alpha = serializers.FloatField(allow_null=True)
    fleiss_kappa = serializers.FloatField(allow_null=True)
    per_label = ScoresField()
    documents = AgreementDocumentSerializer(many=True)
    documents_scored = serializers.IntegerField(help_text="Documents with two or more submitted annotations.")
