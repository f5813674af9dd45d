"""The annotated text of the annotate and review pages, written in Python: the hot part of their HTML.

A document with 30 spans is some 60 segments and 30 list entries, each with
a dozen template variables; Django's template engine resolves and escapes
every one of them (about 800 lookups a page, most of its render time). These
tags write the same HTML in one pass. Every value from the document or a
user (text, label names, colours, origins) goes through `html.escape`, the
function the template's autoescaping calls (without its lazy-string wrapper).
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def doc_text(segments, selected=None) -> SafeString:
    """The runs of `segments` ((offset, piece, span-or-None), offsets.segments): plain pieces and span marks."""
    return mark_safe("".join(_mark(offset, piece, span, selected) if span else _piece(offset, piece) for offset, piece, span in segments))


@register.simple_tag
def span_items(spans) -> SafeString:
    """The list of the annotation's spans under the text (one button each, to select the span)."""
    return mark_safe(
        "".join(
            f'<li><button type="button" class="link" data-select="{span.pk}"><span class="chip" style="--label-color: '
            f'{escape(span.label.color)}">{escape(span.label.name)}</span> {escape(span.covered)}</button> '
            f'<span class="muted">{escape(span.get_origin_display())}</span></li>'
            for span in spans
        )
    )


def _piece(offset: int, piece: str) -> str:
    return f'<span data-o="{offset}">{escape(piece)}</span>'


def _mark(offset: int, piece: str, span, selected) -> str:
    name = escape(span.label.name)
    return (
        f'<mark class="span{" selected" if span.pk == selected else ""}" tabindex="0" aria-label="{name}: '
        f'{escape(span.covered)}" data-span="{span.pk}" data-start="{span.start}" data-end="{span.end}" '
        f'data-label="{span.label_id}" data-origin="{escape(span.origin)}" style="--label-color: {escape(span.label.color)}" '
        f'title="{name} · {escape(span.get_origin_display())}"><i class="handle" data-edge="start"></i>'
        f"{_piece(offset, piece)}"
        f'<i class="handle" data-edge="end"></i><span class="tag" aria-hidden="true">{name}</span></mark>'
    )
