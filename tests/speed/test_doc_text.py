"""The annotated text written in Python (templatetags/doc_text.py) is the HTML the template loop wrote, byte for byte.

REFERENCE is the loop annotator/_doc_text.html had: rendered by Django's
template engine (autoescaping), it is what the tags are held to, with text
and labels full of characters that need escaping.
"""

import pytest
from django.template import engines

from annotator import offsets
from annotator.models import AnnotationSpan, Label

REFERENCE = (
    '{% for offset, piece, span in segments %}{% if span %}<mark class="span{% if span.pk == selected %} selected{% endif %}" '
    'tabindex="0" aria-label="{{ span.label.name }}: {{ span.covered }}" data-span="{{ span.pk }}" data-start="{{ span.start }}" '
    'data-end="{{ span.end }}" data-label="{{ span.label_id }}" data-origin="{{ span.origin }}" style="--label-color: '
    '{{ span.label.color }}" title="{{ span.label.name }} · {{ span.get_origin_display }}"><i class="handle" data-edge="start"></i>'
    '<span data-o="{{ offset }}">{{ piece }}</span><i class="handle" data-edge="end"></i><span class="tag" aria-hidden="true">'
    "{{ span.label.name }}</span></mark>{% else %}<span data-o=\"{{ offset }}\">{{ piece }}</span>{% endif %}{% endfor %}"
    "|"
    '{% for span in spans %}<li><button type="button" class="link" data-select="{{ span.pk }}"><span class="chip" '
    'style="--label-color: {{ span.label.color }}">{{ span.label.name }}</span> {{ span.covered }}</button> '
    '<span class="muted">{{ span.get_origin_display }}</span></li>{% endfor %}'
)
FAST = "{% load doc_text %}{% doc_text segments selected %}|{% span_items spans %}"


TEXT = 'AT&T said "<b>Mosul</b>" & \'Raqqa\' fell; Iraqi forces <script>x</script> held on.'


def spans_of(text):
    """Spans as the annotate page gets them (label loaded, `covered` set), with values that need escaping.

    Built in memory: the database would refuse such a colour, but the page must escape whatever it is given.
    """
    actor = Label(pk=1, name="ACTOR", color="#d62728")
    odd = Label(pk=2, name='Q<"&>', color='#abc" onclick="x')
    spans = [
        AnnotationSpan(pk=pk, label=label, start=start, end=end, origin=origin)
        for pk, (start, end, label, origin) in enumerate(((0, 4, actor, "manual"), (11, 23, odd, "suggested"), (49, 61, actor, "manual")), start=5)
    ]
    for span in spans:
        span.covered = text[span.start : span.end]
    return spans


@pytest.mark.parametrize("selected", [None, "first", "nothing"])
def test_the_tags_write_what_the_template_wrote(selected):
    text = TEXT
    spans = spans_of(text)
    chosen = {"first": spans[0].pk, "nothing": 10**9, None: None}[selected]
    context = {"segments": offsets.segments(text, spans), "spans": spans, "selected": chosen}
    django = engines["django"]
    expected = django.from_string(REFERENCE).render(context)
    assert django.from_string(FAST).render(context) == expected
    assert "<script" not in expected and "<b>" not in expected and "&lt;b&gt;" in expected  # the reference escapes


def test_a_text_without_spans():
    context = {"segments": offsets.segments(TEXT, []), "spans": [], "selected": None}
    django = engines["django"]
    assert django.from_string(FAST).render(context) == django.from_string(REFERENCE).render(context)
