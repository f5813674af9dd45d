"""Projects you belong to and their labels."""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from ... import selectors
from ...models import Membership, Project
from .. import serializers as s
from ..permissions import MANAGER, APIView, ApiAuth


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
    if user.is_superuser:
        return {pk: MANAGER for pk in Project.objects.values_list("pk", flat=True)}
    return dict(Membership.objects.filter(user=user).values_list("project_id", "role"))


class ProjectDetail(APIView):
    """One project, with your role in it."""

    serializer_class = s.ProjectSerializer

    @extend_schema(responses={200: s.ProjectSerializer})
    def get(self, request, slug):
        project = Project.objects.annotate(document_count=Count("documents")).get(pk=self.project.pk)
        return Response(s.ProjectSerializer(project, context={"roles": {project.pk: self.role}}).data)


class LabelList(APIView):
    """The project's labels (the scheme every layer uses)."""

    serializer_class = s.LabelSerializer
    pagination_class = None

    @extend_schema(responses={200: s.LabelSerializer(many=True)})
    def get(self, request, slug):
        return Response(s.LabelSerializer(selectors.labels_of(self.project), many=True).data)
