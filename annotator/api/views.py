"""The REST API views. Thin: check the role, parse, call one selector or service, serialize.

Everything lives under a project (/api/projects/<slug>/...), where the
pages' rules hold: non-members get 404, a missing role 403, annotators see
only their own annotations and never the gold. Span edits carry the
annotation version the client last saw; a stale one gets 409 with the
current version and changes nothing.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import generics, status
from rest_framework.response import Response

from .. import names, scoring, selectors, services
from ..adjudication import Item
from ..services import gold
from ..formats import FormatError, Record, Span, check_spans
from ..models import Annotation, Document, ExtractorVersion, GoldSpan, Label, PredictedSpan, Project, TaskRun
from . import serializers as s
from .permissions import MANAGER, OVERSEERS, APIView, ApiAuth

# 400, 401, 403 and 404 are added to every operation by annotator/api/schema.py.
ERRORS: dict = {}
STALE = OpenApiResponse(s.StaleSerializer, description="The annotation changed since that version: nothing was written.")
REFUSED = OpenApiResponse(s.ErrorSerializer, description="The edit cannot be applied (overlap, outside the text, unknown label).")
ANNOTATION_ID = OpenApiParameter(
    "aid", {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}, OpenApiParameter.PATH, description="The annotation's id."
)


def _int_param(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise drf_serializers.ValidationError({name: "must be a whole number"}) from None
    if not 0 <= number <= s.MAX_INT:
        raise drf_serializers.ValidationError({name: "out of range"})
    return number


# ---------------------------------------------------------------- auth: annotator/api/auth.py


# ---------------------------------------------------------------- projects and labels


class ProjectList(ApiAuth, generics.ListAPIView):
    """The projects you belong to (all of them for a superuser)."""

    serializer_class = s.ProjectSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        return selectors.projects_for(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["roles"] = _roles(self.request.user)
        return context


def _roles(user) -> dict[int, str]:
    from ..models import Membership

    if user.is_superuser:
        return {pk: MANAGER for pk in Project.objects.values_list("pk", flat=True)}
    return dict(Membership.objects.filter(user=user).values_list("project_id", "role"))


class ProjectDetail(APIView):
    """One project, with your role in it."""

    serializer_class = s.ProjectSerializer

    @extend_schema(responses={200: s.ProjectSerializer, **ERRORS})
    def get(self, request, slug):
        project = Project.objects.annotate(document_count=Count("documents")).get(pk=self.project.pk)
        return Response(s.ProjectSerializer(project, context={"roles": {project.pk: self.role}}).data)


class LabelList(APIView):
    """The project's labels (the scheme every layer uses)."""

    serializer_class = s.LabelSerializer
    pagination_class = None

    @extend_schema(responses={200: s.LabelSerializer(many=True), **ERRORS})
    def get(self, request, slug):
        return Response(s.LabelSerializer(selectors.labels_of(self.project), many=True).data)


# ---------------------------------------------------------------- documents


STATE_PARAM = OpenApiParameter(
    "state", str, enum=list(s.STATES), description="Managers and reviewers: documents in this state only."
)
STATUS_PARAM = OpenApiParameter("status", str, enum=list(s.OWN_STATUSES), description="Your own annotation's status.")
SEARCH_PARAM = OpenApiParameter("q", str, description="Text to look for in the document's text, title or id.")


class DocumentList(APIView):
    """The project's documents, a page at a time; push new ones (managers).

    Managers and reviewers see every document with its state; annotators see
    the documents they have worked on (they get new ones through `next`).
    """

    serializer_class = s.DocumentSerializer
    write_roles = (MANAGER,)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        user = self.request.user
        mine = Annotation.objects.filter(document=OuterRef("pk"), annotator=user, kind=Annotation.Kind.ANNOTATION)
        documents = (
            selectors.with_states(self.project, self.project.documents.defer("text", "tokens", "meta"))
            .annotate(my_status=Subquery(mine.values("status")[:1]), my_annotation=Subquery(mine.values("pk")[:1]))
            .order_by("order", "id")
        )
        if not self.overseer:
            documents = documents.filter(Exists(mine))
        params = self.request.query_params
        state = (params.get("state") or "").replace(" ", "_")
        if state:
            if state not in s.STATES:
                raise drf_serializers.ValidationError({"state": f"one of {', '.join(s.STATES)}"})
            if not self.overseer:
                raise drf_serializers.ValidationError({"state": "only managers and reviewers see document states"})
            documents = documents.filter(state=state)
        own = params.get("status")
        if own:
            if own not in s.OWN_STATUSES:
                raise drf_serializers.ValidationError({"status": f"one of {', '.join(s.OWN_STATUSES)}"})
            documents = documents.filter(~Exists(mine)) if own == "new" else documents.filter(my_status=own)
        query = (params.get("q") or "").strip()
        if query:
            documents = documents.filter(Q(text__icontains=query) | Q(title__icontains=query) | Q(external_id__icontains=query))
        return documents

    @extend_schema(parameters=[STATE_PARAM, STATUS_PARAM, SEARCH_PARAM], responses={200: s.DocumentSerializer(many=True), **ERRORS})
    def get(self, request, slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=s.DocumentsPushSerializer,
        responses={201: s.PushResultSerializer, **ERRORS},
        description=(
            "Store documents (a text already in the project is not stored twice). Spans given go to the gold. "
            "With predict, a background prediction run starts afterwards (see `task`)."
        ),
    )
    def post(self, request, slug):
        data = _valid(s.DocumentsPushSerializer, request.data)
        labels = {label.name for label in self.project.labels.all()}
        records = [(_record(item, index, labels), "spans" in item) for index, item in enumerate(data["documents"])]
        # Only documents that come with spans (even none) get gold; the others are just texts.
        total = {"documents_created": 0, "documents_existing": 0, "spans": 0, "skipped": []}
        for has_spans in (True, False):
            part = [record for record, with_spans in records if with_spans == has_spans]
            if part:
                result = services.import_records(
                    self.project, part, layer="gold", has_spans=has_spans, how=gold.How.API, user=request.user
                )
                for key, value in _push_result(result, None).items():
                    if key in total:
                        total[key] += value
        run = services.start_prediction(self.project, request.user) if data["predict"] else None
        return Response({**total, "task": run.pk if run else None}, status=status.HTTP_201_CREATED)


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _record(item: dict, index: int, labels: set[str], text: str | None = None) -> Record:
    record = Record(
        id=item.get("id") or "",
        text=text if text is not None else item["text"],
        spans=[
            Span(
                start=span["start"],
                end=span["end"],
                label=span["label"],
                text=span.get("text"),
                score=span.get("score"),
                source=span.get("source"),
            )
            for span in item.get("spans", [])
        ],
        meta=item.get("meta") or {},
    )
    try:
        check_spans(record, labels)
    except FormatError as error:
        raise drf_serializers.ValidationError({"documents": {index: [str(error)]}}) from None
    return record


def _push_result(result, run: TaskRun | None) -> dict:
    return {
        "documents_created": result.documents_created,
        "documents_existing": result.documents_existing,
        "spans": result.spans,
        "skipped": result.skipped,
        "task": run.pk if run else None,
    }


class DocumentDetail(APIView):
    """A document with its text, meta and token offsets (annotators: only those they work on)."""

    serializer_class = s.DocumentDetailSerializer

    @extend_schema(responses={200: s.DocumentDetailSerializer, **ERRORS})
    def get(self, request, slug, pk):
        document = selectors.document_in(self.project, pk)
        own = selectors.own_annotation(document, request.user)
        if not self.overseer and own is None:
            raise Http404("No such document of yours.")
        kind = Annotation.Kind.ANNOTATION
        counts = Annotation.objects.filter(document=document, kind=kind).aggregate(
            submitted=Count("id", filter=Q(status=Annotation.Status.SUBMITTED)),
            drafts=Count("id", filter=Q(status=Annotation.Status.DRAFT)),
        )
        document.submitted_count, document.draft_count = counts["submitted"], counts["drafts"]
        document.my_status = own.status if own else None
        document.my_annotation = own.pk if own else None
        return Response(self.get_serializer(document).data)


class DocumentAnnotation(APIView):
    """Start (or open) your annotation of a document: it starts from the latest extractor's suggestions if new.

    Starting one claims a slot through the same locked path as `next`: 409
    when the document already has its k annotators.
    """

    serializer_class = s.AnnotationDetailSerializer

    @extend_schema(
        request=None,
        responses={
            200: s.AnnotationDetailSerializer,
            201: s.AnnotationDetailSerializer,
            409: OpenApiResponse(s.ErrorSerializer, description="The document already has its k annotators."),
            **ERRORS,
        },
    )
    def post(self, request, slug, pk):
        document = selectors.document_in(self.project, pk)
        created = selectors.own_annotation(document, request.user) is None
        try:
            annotation = services.claim_document(document, request.user)
        except services.ClaimRefused as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(
            self.get_serializer(_annotation(annotation.pk)).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class NextDocument(APIView):
    """Claim the next document for you to annotate and open your annotation of it (204: nothing left)."""

    serializer_class = s.AnnotationDetailSerializer

    @extend_schema(request=None, responses={200: s.AnnotationDetailSerializer, 204: None, **ERRORS})
    def post(self, request, slug):
        document = services.claim_next(self.project, request.user)
        if document is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        annotation = services.start_annotation(document, request.user)
        return Response(self.get_serializer(_annotation(annotation.pk)).data)


def _annotation(pk: int) -> Annotation:
    return Annotation.objects.select_related("annotator", "document").annotate(span_count=Count("spans")).get(pk=pk)


# ---------------------------------------------------------------- annotations and spans


class AnnotationList(APIView):
    """Annotations in the project: your own (annotators), everyone's (managers and reviewers)."""

    serializer_class = s.AnnotationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Annotation.objects.none()
        annotations = (
            Annotation.objects.filter(document__project=self.project)
            .select_related("annotator")
            .annotate(span_count=Count("spans"))
            .order_by("document__order", "document_id", "annotator__username", "kind")
        )
        if not self.overseer:
            annotations = annotations.filter(annotator=self.request.user, kind=Annotation.Kind.ANNOTATION)
        params = self.request.query_params
        document = _int_param(self.request, "document")
        if document is not None:
            annotations = annotations.filter(document_id=document)
        if params.get("status"):
            if params["status"] not in Annotation.Status.values:
                raise drf_serializers.ValidationError({"status": f"one of {', '.join(Annotation.Status.values)}"})
            annotations = annotations.filter(status=params["status"])
        if params.get("annotator"):
            annotations = annotations.filter(annotator__username=params["annotator"])
        if params.get("kind"):
            if params["kind"] not in Annotation.Kind.values:
                raise drf_serializers.ValidationError({"kind": f"one of {', '.join(Annotation.Kind.values)}"})
            annotations = annotations.filter(kind=params["kind"])
        return annotations

    @extend_schema(
        parameters=[
            OpenApiParameter("document", int, description="One document's annotations."),
            OpenApiParameter("status", str, enum=Annotation.Status.values),
            OpenApiParameter("annotator", str, description="A username."),
            OpenApiParameter("kind", str, enum=Annotation.Kind.values),
        ],
        responses={200: s.AnnotationSerializer(many=True), **ERRORS},
    )
    def get(self, request, slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AnnotationDetail(APIView):
    """One annotation with its spans and version (send the version with every edit)."""

    serializer_class = s.AnnotationDetailSerializer

    @extend_schema(parameters=[ANNOTATION_ID], responses={200: s.AnnotationDetailSerializer, **ERRORS})
    def get(self, request, slug, aid):
        annotations = Annotation.objects.filter(pk=aid, document__project=self.project)
        if not self.overseer:
            annotations = annotations.filter(annotator=request.user)
        if not annotations.exists():
            raise Http404("No such annotation.")
        return Response(self.get_serializer(_annotation(aid)).data)


class _Edit(APIView):
    """An edit of your own annotation: parse, call the service, answer 409 for a stale version."""

    serializer_class = s.SpanEditResultSerializer

    def edit(self, request, aid, action, status_code=status.HTTP_200_OK):
        annotation = selectors.annotation_of(request.user, self.project, aid)
        try:
            result = action(annotation)
        except services.StaleEdit as error:
            return Response(
                {"detail": str(error), "current_version": error.current_version},
                status=status.HTTP_409_CONFLICT,
                headers={"X-Annotation-Version": str(error.current_version)},
            )
        except services.EditRefused as error:
            # A stale version wins over every other refusal: when the annotation has moved on from the
            # version the client sent (another edit won a race), the answer is 409, as if checked first.
            sent = _sent_version(request)
            current = Annotation.objects.filter(pk=annotation.pk).values_list("version", flat=True).first()
            if sent is not None and current is not None and current != sent:
                return Response(
                    {"detail": str(services.StaleEdit(current)), "current_version": current},
                    status=status.HTTP_409_CONFLICT,
                    headers={"X-Annotation-Version": str(current)},
                )
            return Response({"detail": str(error)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        annotation.refresh_from_db(fields=["version", "status"])
        return annotation, result

    def label_id(self, name: str | None):
        """The label named `name` (or with that id) in the project; None passes through."""
        if name in (None, ""):
            return None
        by_id = str(name).isdigit() and int(name) <= s.MAX_INT
        label = Label.objects.filter(project=self.project).filter(Q(name=name) | Q(pk=int(name)) if by_id else Q(name=name)).first()
        if label is None:
            raise services.EditRefused(f"Unknown label {name!r} for this project.")
        return label.pk


def _sent_version(request) -> int | None:
    """The annotation version the client sent (body or ?version=), if it is a number."""
    body = request.data if isinstance(request.data, dict) else {}
    value = body.get("version", request.query_params.get("version"))
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _inside(annotation, start: int | None, end: int | None) -> None:
    """Refuse (422) offsets outside the document's text: they are not moved to the nearest word."""
    length = len(annotation.document.text)
    if (end is not None and end > length) or (start is not None and start >= length):
        raise services.EditRefused(
            f"The span [{start if start is not None else '…'}, {end if end is not None else '…'}) is outside the text "
            f"(length {length})."
        )


def _edit_response(outcome, status_code=status.HTTP_200_OK):
    if isinstance(outcome, Response):
        return outcome
    annotation, span = outcome
    span_data = None
    if span is not None:
        span_data = s.AnnotationSpanSerializer(span, context={"text": annotation.document.text}).data
    return Response({"version": annotation.version, "span": span_data}, status=status_code)


EDIT_RESPONSES = {409: STALE, 422: REFUSED, **ERRORS}


class SpanList(_Edit):
    @extend_schema(
        parameters=[ANNOTATION_ID],
        request=s.SpanAddSerializer,
        responses={201: s.SpanEditResultSerializer, **EDIT_RESPONSES},
        description="Add a span to your annotation; it snaps to whole tokens.",
    )
    def post(self, request, slug, aid):
        data = _valid(s.SpanAddSerializer, request.data)

        def action(annotation):
            _inside(annotation, data["start"], data["end"])
            return services.add_span(
                annotation,
                request.user,
                version=data["version"],
                start=data["start"],
                end=data["end"],
                label_id=self.label_id(data["label"]),
                elapsed=data["elapsed"],
            )

        return _edit_response(self.edit(request, aid, action), status.HTTP_201_CREATED)


class SpanDetail(_Edit):
    @extend_schema(
        parameters=[ANNOTATION_ID],
        request=s.SpanChangeSerializer,
        responses={200: s.SpanEditResultSerializer, **EDIT_RESPONSES},
        description="Change a span's label and/or extent (new offsets snap to tokens).",
    )
    def patch(self, request, slug, aid, span_id):
        data = _valid(s.SpanChangeSerializer, request.data)

        def action(annotation):
            _inside(annotation, data.get("start"), data.get("end"))
            return services.change_span(
                annotation,
                request.user,
                version=data["version"],
                span_id=span_id,
                label_id=self.label_id(data.get("label")),
                start=data.get("start"),
                end=data.get("end"),
                elapsed=data["elapsed"],
            )

        return _edit_response(self.edit(request, aid, action))

    @extend_schema(
        parameters=[
            ANNOTATION_ID,
            OpenApiParameter("version", int, required=True, description="The annotation version the deletion is based on."),
        ],
        request=None,
        responses={200: s.SpanEditResultSerializer, **EDIT_RESPONSES},
        description="Delete a span; the version goes in the query string (?version=N).",
    )
    def delete(self, request, slug, aid, span_id):
        body = request.data if isinstance(request.data, dict) else {}
        data = _valid(s.VersionSerializer, {"version": request.query_params.get("version", body.get("version"))})

        def action(annotation):
            services.delete_span(annotation, request.user, version=data["version"], span_id=span_id)

        outcome = self.edit(request, aid, action)
        if isinstance(outcome, Response):
            return outcome
        return _edit_response((outcome[0], None))


class Submit(_Edit):
    serializer_class = s.StatusResultSerializer

    @extend_schema(
        parameters=[ANNOTATION_ID],
        request=s.SubmitSerializer,
        responses={200: s.StatusResultSerializer, **EDIT_RESPONSES},
        description=(
            "Submit your annotation (a reviewer's copy: accept it as the gold, once every disagreement is settled; "
            "`confirm` when that removes or relabels gold spans)."
        ),
    )
    def post(self, request, slug, aid):
        data = _valid(s.SubmitSerializer, request.data)

        def action(annotation):
            if annotation.kind == Annotation.Kind.REVIEW:
                services.accept(
                    annotation, request.user, version=data["version"], elapsed=data["elapsed"], confirm=data["confirm"]
                )
            else:
                services.submit(annotation, request.user, version=data["version"], elapsed=data["elapsed"])

        return _status(self.edit(request, aid, action))


def _status(outcome) -> Response:
    """The answer of a step that changes an annotation's status: its new version and status (or the refusal)."""
    if isinstance(outcome, Response):
        return outcome
    annotation = outcome[0]
    return Response({"version": annotation.version, "status": annotation.status})


class Reopen(_Edit):
    serializer_class = s.StatusResultSerializer

    @extend_schema(
        parameters=[ANNOTATION_ID],
        request=s.VersionSerializer,
        responses={200: s.StatusResultSerializer, **EDIT_RESPONSES},
        description="Take your submitted annotation back to draft to change it (it leaves the review queue until submitted again).",
    )
    def post(self, request, slug, aid):
        data = _valid(s.VersionSerializer, request.data)
        return _status(
            self.edit(request, aid, lambda a: services.reopen(a, request.user, version=data["version"], elapsed=data["elapsed"]))
        )


# ---------------------------------------------------------------- layers: predictions and gold


class _Records(APIView):
    """A page of documents with the spans of one layer, as canonical records."""

    serializer_class = s.RecordSerializer
    roles = OVERSEERS

    def page_of(self, documents) -> list[Document]:
        document = _int_param(self.request, "document")
        if document is not None:
            documents = documents.filter(pk=document)
        return self.paginate_queryset(documents.order_by("order", "id").only("id", "external_id", "title", "text", "meta"))

    def records(self, documents, spans_by_document, extra=None):
        out = []
        for document in documents:
            meta = dict(document.meta or {})
            meta.setdefault("title", document.title)
            if extra:
                meta.update(extra)
            out.append(
                {
                    "document": document.pk,
                    "id": document.external_id or str(document.pk),
                    "text": document.text,
                    "spans": spans_by_document.get(document.pk, []),
                    "meta": meta,
                }
            )
        return self.get_paginated_response(out)


DOCUMENT_PARAM = OpenApiParameter("document", int, description="One document only.")


AS_OF_PARAM = OpenApiParameter(
    "as_of", str, description="ISO-8601 time: the gold as it stood then (its revisions up to that time)."
)


class GoldList(_Records):
    """The gold: documents that have it, with their adjudicated spans (managers and reviewers)."""

    @extend_schema(parameters=[DOCUMENT_PARAM, AS_OF_PARAM], responses={200: s.RecordSerializer(many=True), **ERRORS})
    def get(self, request, slug):
        as_of = request.query_params.get("as_of")
        if as_of:
            try:
                when = gold.parse_as_of(as_of)
            except gold.GoldRefused as error:
                raise drf_serializers.ValidationError({"as_of": str(error)}) from None
            page = self.page_of(self.project.documents.filter(gold.had_gold_at(when)))
            items = gold.items_as_of([d.pk for d in page], when)
        else:
            page = self.page_of(self.project.documents.filter(gold_at__isnull=False))
            items = {}
            for start, end, label, document_id in GoldSpan.objects.filter(document__in=page).values_list(
                "start", "end", "label__name", "document_id"
            ):
                items.setdefault(document_id, []).append(Item(start, end, label))
        texts = {d.pk: d.text for d in page}
        spans = {
            pk: [{"start": i.start, "end": i.end, "label": i.label, "text": texts[pk][i.start : i.end]} for i in sorted(found)]
            for pk, found in items.items()
        }
        return self.records(page, spans)


class PredictionList(_Records):
    """Predictions of one model version (default the latest), and pushing those of your own models (managers)."""

    write_roles = (MANAGER,)

    @extend_schema(
        parameters=[OpenApiParameter("model", str, description="The model version (default: the latest)."), DOCUMENT_PARAM],
        responses={200: s.RecordSerializer(many=True), **ERRORS},
    )
    def get(self, request, slug):
        name = request.query_params.get("model")
        version = (
            names.version_in(self.project, name) if name else selectors.latest_extractor(self.project)
        )
        if version is None:
            raise Http404(f"No predictions of {name!r} in this project." if name else "No predictions in this project yet.")
        page = self.page_of(self.project.documents.filter(predictions__extractor=version))
        texts = {d.pk: d.text for d in page}
        spans: dict[int, list] = {}
        predicted = PredictedSpan.objects.filter(prediction__extractor=version, prediction__document__in=page)
        for span in predicted.select_related("label", "prediction").order_by("start", "end"):
            document_id = span.prediction.document_id
            spans.setdefault(document_id, []).append(
                {
                    "start": span.start,
                    "end": span.end,
                    "label": span.label.name,
                    "text": texts[document_id][span.start : span.end],
                    "score": span.score,
                    "source": span.source or None,
                }
            )
        return self.records(page, spans, {"model": version.version})

    @extend_schema(
        request=s.PredictionsPushSerializer,
        responses={201: s.PushResultSerializer, **ERRORS},
        description=(
            "Store an external model's spans under `model`. Documents are named by id here or by text (a new "
            "text becomes a document). Predictions are never edited: a document that already has predictions "
            "of that model keeps them (see `skipped`)."
        ),
    )
    def post(self, request, slug):
        data = _valid(s.PredictionsPushSerializer, request.data)
        if ExtractorVersion.objects.filter(version=data["model"]).exclude(base_model="imported").exists():
            raise drf_serializers.ValidationError({"model": "that name is a version of the app's own extractor"})
        labels = {label.name for label in self.project.labels.all()}
        ids = [item["document"] for item in data["documents"] if "document" in item]
        known = {d.pk: d for d in self.project.documents.filter(pk__in=ids).only("id", "text", "external_id")}
        records = []
        for index, item in enumerate(data["documents"]):
            text = None
            if "document" in item:
                document = known.get(item["document"])
                if document is None:
                    raise drf_serializers.ValidationError({"documents": {index: [f"no document {item['document']} in this project"]}})
                text = document.text
                item = {**item, "id": item.get("id") or document.external_id or str(document.pk)}
            records.append(_record(item, index, labels, text))
        result = services.import_records(self.project, records, layer="model", model=data["model"])
        return Response(_push_result(result, None), status=status.HTTP_201_CREATED)


class ModelList(APIView):
    """The model versions with predictions in the project (the extractor's and pushed ones), newest first."""

    serializer_class = s.ExtractorVersionSerializer
    pagination_class = None

    @extend_schema(responses={200: s.ExtractorVersionSerializer(many=True), **ERRORS})
    def get(self, request, slug):
        versions = selectors.extractor_versions(self.project).order_by("-created_at", "-id")
        return Response(self.get_serializer(versions, many=True).data)


# ---------------------------------------------------------------- background runs


class TaskList(APIView):
    """Background runs of the project: all of them for managers, your own for others."""

    serializer_class = s.TaskRunSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TaskRun.objects.none()
        runs = services.runs_visible_to(self.request.user, self.project, self.role)
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in TaskRun.Kind.values:
                raise drf_serializers.ValidationError({"kind": f"one of {', '.join(TaskRun.Kind.values)}"})
            runs = runs.filter(kind=kind)
        return runs

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=TaskRun.Kind.values)],
        responses={200: s.TaskRunSerializer(many=True), **ERRORS},
    )
    def get(self, request, slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _run_of(view, pk: int) -> TaskRun:
    run = services.runs_visible_to(view.request.user, view.project, view.role).filter(pk=pk).first()
    if run is None:
        raise Http404("No such task.")
    return run


class TaskDetail(APIView):
    """One run: status, done of total, errors, result. Poll it until `status` is done or failed."""

    serializer_class = s.TaskRunSerializer

    @extend_schema(responses={200: s.TaskRunSerializer, **ERRORS})
    def get(self, request, slug, pk):
        return Response(self.get_serializer(_run_of(self, pk)).data)


_EXPORT_FILE = "The export file in its format's media type: any JSON value for the JSON formats, bytes otherwise."


class TaskDownload(APIView):
    """The file a finished export run wrote."""

    serializer_class = None

    @extend_schema(
        responses={
            # JSON formats (Label Studio, doccano) come as application/json: any JSON value, not a string.
            (200, "application/json"): OpenApiResponse(OpenApiTypes.ANY, description=_EXPORT_FILE),
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description=_EXPORT_FILE),
            **ERRORS,
        }
    )
    def get(self, request, slug, pk):
        run = _run_of(self, pk)
        if run.kind != TaskRun.Kind.EXPORT or run.status != TaskRun.Status.DONE:
            raise Http404("This task has no file (yet).")
        path = services.export_path(run)
        if not path.exists():
            raise Http404("The export file is gone; start the export again.")
        media_type = services.export_media_type(run)
        if media_type.startswith(("text/", "application/json")):
            media_type += "; charset=utf-8"
        return FileResponse(path.open("rb"), as_attachment=True, filename=run.result.get("file") or path.name, content_type=media_type)


def _accepted(view, run: TaskRun) -> Response:
    run.refresh_from_db()  # a backend that runs tasks at once has finished it already
    return Response(view.get_serializer(run).data, status=status.HTTP_202_ACCEPTED, headers={"Location": s.TaskRunSerializer(run, context={"request": view.request}).data["url"]})


class ExportStart(APIView):
    """Start an export (managers); poll the task it returns, then fetch its `download`."""

    serializer_class = s.TaskRunSerializer
    roles = (MANAGER,)

    @extend_schema(request=s.ExportStartSerializer, responses={202: s.TaskRunSerializer, **ERRORS})
    def post(self, request, slug):
        data = _valid(s.ExportStartSerializer, request.data)
        # Names are looked up in this project only: one of another project is "not found", as a missing one.
        if data.get("model") and data["layer"] == "model" and names.version_in(self.project, data["model"]) is None:
            raise Http404(f"No predictions of {data['model']!r} in this project.")
        if data.get("annotator") and names.annotator_in(self.project, data["annotator"]) is None:
            raise Http404(f"No annotator {data['annotator']!r} in this project.")
        try:
            run = services.start_export(
                self.project,
                request.user,
                fmt=data["format"],
                layer=data["layer"],
                model=data.get("model") or None,
                annotator=data.get("annotator") or None,
                as_of=data.get("as_of") or None,
            )
        except services.RunRefused as error:
            raise drf_serializers.ValidationError({"detail": str(error)}) from None
        return _accepted(self, run)


class PredictStart(APIView):
    """Predict, in the background, every document that lacks the current extractor's predictions (managers).

    A new extractor version (changed patterns or model) predicts the whole project again.
    """

    serializer_class = s.TaskRunSerializer
    roles = (MANAGER,)

    @extend_schema(request=None, responses={202: s.TaskRunSerializer, **ERRORS})
    def post(self, request, slug):
        return _accepted(self, services.start_prediction(self.project, request.user))


# ---------------------------------------------------------------- evaluation


class Evaluation(APIView):
    """Scores of an extractor version against the gold (managers and reviewers): read now, or run as a task."""

    serializer_class = s.TaskRunSerializer
    roles = OVERSEERS

    @extend_schema(
        parameters=[OpenApiParameter("model", str, description="The extractor version (default: the latest).")],
        responses={200: s.EvaluationSerializer, **ERRORS},
    )
    def get(self, request, slug):
        name = request.query_params.get("model")
        extractor = scoring.version_named(name, self.project) if name else selectors.latest_extractor(self.project)
        if extractor is None:
            raise Http404(f"No extractor version {name!r} in this project." if name else "No predictions in this project yet.")
        scored = scoring.score(self.project, extractor, store=False)  # a GET stores nothing
        run = scoring.stored_run(self.project, extractor, scored.gold, scored.results)
        results = scored.results
        return Response(
            {
                "extractor": extractor.version,
                "evaluation_run": run.pk if run else None,
                "gold_documents": len(scored.gold.documents),
                "predicted_documents": scored.predicted_documents,
                "documents": results.get("documents", len(scored.gold.documents)),
                "schemes": results.get("schemes", {}),
                "results": results,
            }
        )

    @extend_schema(
        request=s.EvaluationStartSerializer,
        responses={202: s.TaskRunSerializer, **ERRORS},
        description="Score in the background (large projects); the task's result holds the scores.",
    )
    def post(self, request, slug):
        data = _valid(s.EvaluationStartSerializer, request.data)
        return _accepted(self, services.start_evaluation(self.project, request.user, model=data.get("model") or None))


AGREEMENT_KEYS = ("a", "b", "documents", "f1_strict", "f1_unlabelled", "f1_overlap", "cohen_kappa", "per_label")


def _plain(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key in AGREEMENT_KEYS}


class Agreement(APIView):
    """Inter-annotator agreement over the submitted annotations (managers and reviewers)."""

    serializer_class = s.AgreementSerializer
    roles = OVERSEERS

    @extend_schema(responses={200: s.AgreementSerializer, **ERRORS})
    def get(self, request, slug):
        result = selectors.project_agreement(self.project)
        return Response(
            {
                "pairs": [_plain(pair) for pair in result["pairs"]],
                "overall": {"per_label": {}, **_plain(result["overall"])},
                "krippendorff_alpha": result["krippendorff_alpha"],
                "fleiss_kappa": result["fleiss_kappa"],
                "per_label": result["per_label"],
                "documents": [
                    {
                        "document": d["document"].pk,
                        "id": d["document"].external_id or str(d["document"].pk),
                        "f1_strict": d["f1_strict"],
                        "cohen_kappa": d["cohen_kappa"],
                    }
                    for d in result["by_document"]
                ],
            }
        )
