"""Page-number pagination with a client-chosen page size (capped); a malformed page or size is a 400.

Page 1 is read first and counted only when it is full: a short first page
(one document asked for by id, a narrow filter) is its own count, so the
hot path "fetch one document with its spans" spends no COUNT query.
"""

from functools import partial

from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class KnownCount(Paginator):
    """A paginator told its count (`known`) when the view keeps one, so it runs no COUNT(*)."""

    def __init__(self, object_list, per_page, known: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.known = known

    @cached_property
    def count(self):
        return self.known if self.known is not None else super().count


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    max_page = 10**9

    def _number(self, request, name: str, top: int) -> int | None:
        value = request.query_params.get(name)
        if value in (None, ""):
            return None
        if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= top:
            raise ValidationError({name: f"must be a whole number from 1 to {top}"})
        return int(value)

    def paginate_queryset(self, queryset, request, view=None):
        number = self._number(request, self.page_query_param, self.max_page)
        self._number(request, self.page_size_query_param, self.max_page_size)
        # A view that keeps its list's size (DocumentList.known_count: counts the triggers keep) saves the COUNT.
        known = getattr(view, "known_count", lambda: None)()
        self.django_paginator_class = partial(KnownCount, known=known)
        if number not in (None, 1):
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        size = self.get_page_size(request)
        rows = list(queryset[:size])
        paginator = self.django_paginator_class(queryset, size)
        if len(rows) < size:
            paginator.count = len(rows)  # a short first page holds every row: no COUNT(*)
        self.page = Page(rows, 1, paginator)
        self.display_page_controls = paginator.num_pages > 1
        return rows

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number (a page past the last is 404).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
