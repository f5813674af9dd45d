"""Benchmark: server time to render the annotation page of a 1,000-word article with 100 spans.

Runs on a throw-away SQLite database in a temporary folder. Prints the
median and 95th percentile of the full page and of the htmx fragment an edit
returns, the time of one span edit round trip, and the SQL query counts for a
small and the large document (they should be equal). Goal: under 50 ms.

    .venv/bin/python bench/annotate_page.py [--runs 50]
"""

import argparse
import statistics
import tempfile
import time

from scratch import setup_django


def article(words: int = 1000) -> tuple[str, list[tuple[int, int, str]]]:
    """A text of `words` words with a span every ten words."""
    vocabulary = ["Iraqi", "forces", "pressed", "fighters", "in", "Mosul", "while", "civilians", "fled", "west"]
    parts, spans, position = [], [], 0
    for i in range(words):
        word = vocabulary[i % len(vocabulary)]
        if i % 10 == 5:
            spans.append((position, position + len(word), ["ACTOR", "LOCATION", "QUANTITY"][i % 3]))
        parts.append(word)
        position += len(word) + 1
    return " ".join(parts), spans


def timed(client, path, runs, **headers):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path, **headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from annotator import services
        from annotator.extraction import token_offsets
        from annotator.models import AnnotationSpan, Document, Membership

        project = services.ensure_project("bench")
        labels = {label.name: label for label in project.labels.all()}
        user = get_user_model().objects.create_user("bench", password="x")
        Membership.objects.create(project=project, user=user)
        text, spans = article()
        big = Document.objects.create(project=project, text=text, tokens=token_offsets(text), order=1)
        small = Document.objects.create(project=project, text="Iraqi forces entered Mosul.", tokens=token_offsets("Iraqi forces entered Mosul."), order=2)
        for document, doc_spans in ((big, spans), (small, [(0, 12, "ACTOR")])):
            annotation = services.start_annotation(document, user)
            AnnotationSpan.objects.bulk_create(
                AnnotationSpan(annotation=annotation, label=labels[l], start=s, end=e) for s, e, l in doc_spans
            )
        client = Client()
        client.force_login(user)
        page = reverse("annotate", args=["bench", big.pk])
        small_page = reverse("annotate", args=["bench", small.pk])
        counts = {}
        for name, path in (("small", small_page), ("large", page)):
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            counts[name] = len(queries)
        timed(client, page, 5)  # warm up templates and caches
        full = timed(client, page, args.runs)
        fragment = timed(client, page, args.runs, HTTP_HX_REQUEST="true")

        annotation = big.annotations.get()
        edit_times = []
        target = annotation.spans.order_by("start").first()
        for i in range(args.runs):
            version = annotation.__class__.objects.get(pk=annotation.pk).version
            label = labels["ACTOR" if i % 2 else "LOCATION"].pk
            start = time.perf_counter()
            response = client.post(
                reverse("span_change", args=["bench", big.pk, target.pk]),
                {"version": version, "label": label},
                HTTP_HX_REQUEST="true",
            )
            edit_times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        edit_times.sort()

        words = len(text.split())
        print(f"annotation page, {words} words, {len(spans)} spans, {args.runs} runs (server time, in-process)")
        print(f"  full page        median {full[0]:6.1f} ms   p95 {full[1]:6.1f} ms   (goal < 50 ms)")
        print(f"  htmx fragment    median {fragment[0]:6.1f} ms   p95 {fragment[1]:6.1f} ms")
        print(f"  label change     median {statistics.median(edit_times):6.1f} ms   p95 {edit_times[int(0.95 * (len(edit_times) - 1))]:6.1f} ms")
        print(f"  SQL queries      small document {counts['small']}, large document {counts['large']}")


if __name__ == "__main__":
    main()
