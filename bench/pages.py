"""Benchmark: server time and SQL queries of every page and API list at 100,000 documents against 100.

Builds two projects in one database: "big" (N documents, default 100,000)
and "small" (100 documents), each of ~300 words with 30 spans, with gold on
every document, one model's predictions, and two annotators' submitted
annotations on 10 % of them. The corpus goes in through the import path
(services.import_records: documents, gold, predictions, annotations), and
the time it took is printed. Then each page is requested in-process with
Django's test Client, as its role would (manager, or the annotator for the
annotate page), and the median and p95 server time and the query count are
printed beside the small project's, with their ratio. The floor (issue 11):
p95 under 150 ms, within 3x of the 100-document time, query counts equal.

    .venv/bin/python bench/pages.py [--docs 100000] [--database sqlite|postgres|both] [--reuse] [--runs 15]

--reuse keeps the built database between runs (SQLite: var/bench/pages-N/;
PostgreSQL: the database annotator_bench_pages_N) and skips the build when
it is there. PostgreSQL is reached at $BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SMALL = 100
ANNOTATED_SHARE = 10  # every 10th document: two annotators' submitted annotations
LABELS = ("ACTOR", "LOCATION", "QUANTITY")
# Sentences of about twenty words with two spans each: (text with [LABEL:words] marks).
SENTENCES = [
    "Officials said [ACTOR:Iraqi forces] pressed toward the old quarter of [LOCATION:Mosul] before dawn on a cold Friday morning.",
    "About [QUANTITY:200 militants] were reported to have fled across the river toward [LOCATION:Raqqa] during the night.",
    "A spokesman for [ACTOR:the coalition] said that the strikes near [LOCATION:Düsseldorf] had hit several depots and a bridge.",
    "Witnesses counted [QUANTITY:dozens of trucks] leaving the town while [ACTOR:local militias] blocked the main road to the north.",
    "The ministry confirmed that [QUANTITY:three soldiers] died when [ACTOR:rebel fighters] ambushed a convoy outside the provincial capital.",
    "Aid groups warned that [QUANTITY:thousands of families] remained trapped in [LOCATION:Aleppo] without water, power or medicine this week.",
    "[ACTOR:Government troops] retook the airport at [LOCATION:Sirte] after a week of fighting, the army said in a statement.",
    "Residents of [LOCATION:Kandahar] described how [ACTOR:armed men] went from house to house searching for the missing officials.",
    "The United Nations said [QUANTITY:1,200 people] had crossed into [LOCATION:Chad] since the clashes began earlier in the month.",
    "Local reporters saw [ACTOR:police units] firing tear gas at protesters gathered in front of the parliament in [LOCATION:Bamako].",
    "Satellite images showed [QUANTITY:at least forty buildings] destroyed in the eastern district of [LOCATION:Idlib] after the raids.",
    "[ACTOR:The rebels] claimed to control [QUANTITY:most of the province], a statement the government quickly and firmly denied.",
    "Commanders of [ACTOR:the peacekeeping mission] asked for [QUANTITY:500 more troops] to protect the camps along the border.",
    "Shelling near [LOCATION:Donetsk] wounded [QUANTITY:eleven civilians], according to the regional authorities and a hospital doctor.",
    "In a rare interview, a leader of [ACTOR:the militia] said the siege of [LOCATION:Marawi] would end within weeks.",
]
MARK = re.compile(r"\[(\w+):([^\]]+)\]")


def _parse(sentence: str) -> tuple[str, list[tuple[int, int, str]]]:
    text, spans, at = [], [], 0
    position = 0
    for match in MARK.finditer(sentence):
        text.append(sentence[at : match.start()])
        position += match.start() - at
        words = match.group(2)
        spans.append((position, position + len(words), match.group(1)))
        text.append(words)
        position += len(words)
        at = match.end()
    text.append(sentence[at:])
    return "".join(text), spans


PARSED = [_parse(s) for s in SENTENCES]


def article(number: int, rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    """About 300 words and 30 spans: fifteen sentences, a headline line that makes the text unique."""
    parts, spans = [f"Report {number}: field notes from the region.\n\n"], []
    position = len(parts[0])
    for _ in range(15):
        sentence, marks = PARSED[rng.randrange(len(PARSED))]
        spans.extend((position + s, position + e, label) for s, e, label in marks)
        parts.append(sentence + " ")
        position += len(sentence) + 1
    return "".join(parts).rstrip(), spans


def model_spans(spans, rng: random.Random):
    """The gold with mistakes: some spans missed, some cut short, some mislabelled."""
    out = []
    for start, end, label in spans:
        roll = rng.random()
        if roll < 0.08:
            continue
        if roll < 0.14 and end - start > 4:
            end -= 2
        elif roll < 0.20:
            label = LABELS[(LABELS.index(label) + 1) % 3]
        out.append((start, end, label))
    return out


def second_annotator(spans, rng: random.Random):
    return [(s, e, LABELS[(LABELS.index(l) + 1) % 3] if rng.random() < 0.1 else l) for s, e, l in spans]


# ---------------------------------------------------------------- set-up


def setup(database: str, docs: int, reuse: bool) -> str:
    """Point Django at the benchmark database and migrate; return a name for the report."""
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
    if database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        folder = ROOT / "var" / "bench" / f"pages-{docs}" if reuse else Path(tempfile.mkdtemp(prefix="bench-pages-"))
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["ANNOTATOR_VAR_DIR"] = str(folder)
        where = str(folder / "db.sqlite3")
    else:
        base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
        name = f"annotator_bench_pages_{docs}" if reuse else f"annotator_bench_pages_tmp_{os.getpid()}"
        _ensure_pg_database(base, name, fresh=not reuse)
        os.environ["DATABASE_URL"] = f"{base}/{name}"
        os.environ["ANNOTATOR_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-pages-var-")
        where = f"{base}/{name}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return where


def _ensure_pg_database(base: str, name: str, fresh: bool) -> None:
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            connection.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def build(slug: str, docs: int, users) -> dict[str, float]:
    """Import `docs` documents with gold, predictions and two annotators' work on 10 %; seconds per step."""
    from annotator import services
    from annotator.formats import Record, Span
    from annotator.models import Membership

    project = services.ensure_project(slug, name=f"Bench {docs}")
    for user, role in users:
        Membership.objects.get_or_create(project=project, user=user, defaults={"role": role})
    rng = random.Random(docs)
    corpus = [article(i, rng) for i in range(docs)]
    seconds = {}

    def records(spans_of, every=1):
        for i in range(0, docs, every):
            text, spans = corpus[i]
            yield Record(id=f"{slug}-{i}", text=text, spans=[Span(s, e, l) for s, e, l in spans_of(spans)], meta={"n": i})

    started = time.perf_counter()
    services.import_records(project, records(lambda s: s), layer="gold", chunk_size=1000)
    seconds["documents + gold"] = time.perf_counter() - started
    started = time.perf_counter()
    noise = random.Random(1)
    services.import_records(project, records(lambda s: model_spans(s, noise)), layer="model", model="bench-model-1", chunk_size=1000)
    seconds["predictions"] = time.perf_counter() - started
    started = time.perf_counter()
    annotators = [u for u, role in users if role == Membership.Role.ANNOTATOR]
    services.import_records(project, records(lambda s: s, ANNOTATED_SHARE), layer="annotations", annotator=annotators[0], chunk_size=1000)
    other = random.Random(2)
    services.import_records(
        project, records(lambda s: second_annotator(s, other), ANNOTATED_SHARE), layer="annotations", annotator=annotators[1], chunk_size=1000
    )
    seconds["annotations (2 x 10 %)"] = time.perf_counter() - started
    return seconds


def users():
    from django.contrib.auth import get_user_model

    from annotator.models import Membership

    User = get_user_model()
    made = []
    for name, role in (("boss", Membership.Role.MANAGER), ("ann1", Membership.Role.ANNOTATOR), ("ann2", Membership.Role.ANNOTATOR)):
        user = User.objects.filter(username=name).first() or User.objects.create_user(name, password="bench-pass-123")
        made.append((user, role))
    return made


def ensure_snapshots() -> None:
    """What the background evaluation run stores (services.scores.refresh), computed where out of date."""
    from annotator import selectors
    from annotator.models import Project, ScoreSnapshot
    from annotator.selectors import dashboards
    from annotator.services import scores

    for project in Project.objects.filter(slug__in=("small", "big")).order_by("-slug"):
        extractor = selectors.latest_extractor(project)
        stored = dashboards.snapshot(project, ScoreSnapshot.Kind.AGREEMENT)
        if stored is not None and stored.basis == dashboards.basis(project, ScoreSnapshot.Kind.AGREEMENT):
            evaluation = dashboards.snapshot(project, ScoreSnapshot.Kind.EVALUATION, extractor.version)
            if evaluation is not None and evaluation.basis == dashboards.basis(project, ScoreSnapshot.Kind.EVALUATION, extractor.version):
                continue
        started = time.perf_counter()
        scores.refresh(project, extractor)
        print(f"  {project.slug}: scores computed and stored (the background run's work) in {time.perf_counter() - started:.1f} s")


def ensure_corpus(docs: int) -> None:
    from annotator.models import Project

    team = users()
    for slug, size in (("small", SMALL), ("big", docs)):
        project = Project.objects.filter(slug=slug).first()
        if project is not None and project.documents.count() == size:
            print(f"  {slug}: {size:,} documents already built (--reuse)")
            continue
        if project is not None:
            project.delete()
        started = time.perf_counter()
        steps = build(slug, size, team)
        total = time.perf_counter() - started
        detail = ", ".join(f"{name} {s:.1f} s" for name, s in steps.items())
        print(f"  built {slug}: {size:,} documents in {total:.1f} s ({detail})")
    _analyze()


def _analyze() -> None:
    """PostgreSQL: fresh statistics for the planner, as autovacuum gives a running server a minute after a
    big import (without them it plans for the empty tables it last saw). SQLite keeps no statistics unless
    asked, and the app does not ask, so the bench does not either."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# ---------------------------------------------------------------- pages


def pages(slug: str):
    """(name, path, user) of every page and API list to time, for the project `slug`."""
    from django.contrib.auth import get_user_model
    from django.urls import NoReverseMatch, reverse

    from annotator.models import Annotation, Project

    User = get_user_model()
    boss, ann1 = User.objects.get(username="boss"), User.objects.get(username="ann1")
    project = Project.objects.get(slug=slug)
    annotated = Annotation.objects.filter(document__project=project, annotator=ann1).order_by("document__order").values_list("document_id", flat=True)
    middle = annotated[annotated.count() // 2]
    label = project.labels.order_by("name").first().name
    listed = [
        ("project page", reverse("project_detail", args=[slug]), boss),
        ("annotate", reverse("annotate", args=[slug, middle]), ann1),
        ("review queue", reverse("review_queue", args=[slug]), boss),
        ("review (a document)", reverse("review", args=[slug, middle]), boss),
        ("progress", reverse("dashboard", args=[slug]), boss),
        ("agreement", reverse("agreement", args=[slug]), boss),
        ("evaluation", reverse("evaluation", args=[slug]), boss),
        ("evaluation errors, htmx page", reverse("evaluation", args=[slug]) + f"?kind=missed&label={label}", boss),
        ("export page", reverse("export", args=[slug]), boss),
        ("API documents", reverse("api-documents", args=[slug]), boss),
        ("API search q=Raqqa", reverse("api-documents", args=[slug]) + "?q=Raqqa", boss),
        ("API gold", reverse("api-gold", args=[slug]), boss),
        ("API predictions", reverse("api-predictions", args=[slug]), boss),
    ]
    try:
        documents = reverse("document_list", args=[slug])
    except NoReverseMatch:
        documents = None
    return listed, documents, boss


def timed(client, path, runs: int, budget: float, **headers) -> tuple[float, float, int, int]:
    """(median ms, p95 ms, runs, status) of GET `path`; stops early after `budget` seconds (3 runs at least)."""
    times = []
    status = 0
    began = time.perf_counter()
    for i in range(runs):
        start = time.perf_counter()
        response = client.get(path, **headers)
        times.append((time.perf_counter() - start) * 1000)
        status = response.status_code
        if i >= 2 and time.perf_counter() - began > budget:
            break
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], len(times), status


def queries(client, path, **headers) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path, **headers)
    return len(captured)


NEXT = re.compile(r'<a[^>]*rel="next"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*rel="next"')


def deep_page(client, path: str, hops: int) -> tuple[str, int]:
    """Follow the list's rel="next" link `hops` times (or to the end); the path reached and the hops made."""
    made = 0
    for _ in range(hops):
        match = NEXT.search(client.get(path).content.decode())
        if not match:
            break
        path = unescape(match.group(1) or match.group(2))
        made += 1
    return path, made


def document_list_pages(client, slug: str, base: str, deep_hops: int) -> list[tuple[str, str]]:
    """The document list's page 1, a deep page, a search and each filter the list's form offers."""
    first = client.get(base)
    if first.status_code != 200:
        return []
    html = first.content.decode()
    found = [("documents, page 1", base), ("documents, search 'dusseldorf'", base + "?q=dusseldorf")]
    deep, made = deep_page(client, base, deep_hops)
    found.append((f"documents, page {made + 1}", deep))
    selects = re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S)
    for name, options in selects:
        values = [v for v in re.findall(r'<option[^>]*value="([^"]*)"', options) if v]
        if values:
            found.append((f"documents, {name}={values[-1]}", f"{base}?{name}={values[-1]}"))
    for name in re.findall(r'<input[^>]*type="checkbox"[^>]*name="([^"]+)"', html):
        if name not in ("ids", "all", "selected"):
            found.append((f"documents, {name}=1", f"{base}?{name}=1"))
    return found


def measure(runs: int, budget: float, deep_hops: int) -> list[dict]:
    from django.test import Client

    rows = []
    measured = {}
    for slug in ("small", "big"):
        listed, documents, boss = pages(slug)
        clients = {}
        for name, path, user in listed:
            client = clients.get(user.pk)
            if client is None:
                client = clients[user.pk] = Client(raise_request_exception=False)  # a failing page is reported
                client.force_login(user)
            client.get(path)  # warm up
            median, p95, n, status = timed(client, path, runs, budget)
            measured[(slug, name)] = (median, p95, queries(client, path), n, status)
            print(f"    {slug} {name}: p95 {p95:.1f} ms", file=sys.stderr, flush=True)
        if documents is None:
            measured[(slug, "document list")] = None
        else:
            client = clients[boss.pk]
            hops = deep_hops if slug == "big" else 1
            for name, path in document_list_pages(client, slug, documents, hops):
                name = re.sub(r"page \d+$", "deep page", name)
                client.get(path)
                median, p95, n, status = timed(client, path, runs, budget)
                measured[(slug, name)] = (median, p95, queries(client, path), n, status)
        print(f"  measured {slug}", file=sys.stderr)
    names = list(dict.fromkeys(name for (slug, name) in measured if slug == "big"))
    for name in names:
        rows.append({"name": name, "small": measured.get(("small", name)), "big": measured[("big", name)]})
    return rows


def report(rows: list[dict], docs: int, database: str) -> None:
    print(f"\n{database}: {docs:,} documents against {SMALL} (server time, in-process; ms)")
    head = f"{'page':34} {'100: med':>9} {'p95':>7} {'q':>4} | {docs:>7,}: med {'p95':>8} {'q':>4} | {'p95 x':>6}  floor"
    print(head)
    print("-" * len(head))
    for row in rows:
        big, small = row["big"], row["small"]
        if big is None:
            print(f"{row['name']:34} not built")
            continue
        if small is None:  # a filter value only the big project offers: no 100-document figure
            ok = big[1] < 150 and big[4] == 200
            note = ("ok" if ok else "FAIL") + " (no 100-document page)"
            print(f"{row['name']:34} {'-':>9} {'-':>7} {'-':>4} | {big[0]:12.1f} {big[1]:8.1f} {big[2]:4d} | {'-':>6}  {note}")
            continue
        ratio = big[1] / small[1] if small[1] else float("nan")
        ok = big[1] < 150 and ratio <= 3 and big[2] == small[2] and big[4] == 200
        note = "ok" if ok else "FAIL"
        if big[4] != 200:
            note += f" (HTTP {big[4]})"
        print(
            f"{row['name']:34} {small[0]:9.1f} {small[1]:7.1f} {small[2]:4d} | {big[0]:12.1f} {big[1]:8.1f} {big[2]:4d} | {ratio:6.1f}  {note}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--reuse", action="store_true", help="keep the built database (var/bench/) and reuse it")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per page at most (3 runs at least)")
    parser.add_argument("--deep", type=int, default=2000, help="document list: the page reached by this many next links")
    args = parser.parse_args()
    if args.database == "both":
        # Django is set up once per process: run each database in its own process.
        import subprocess

        for database in ("sqlite", "postgres"):
            command = [sys.executable, __file__, "--database", database, "--docs", str(args.docs), "--runs", str(args.runs),
                       "--budget", str(args.budget), "--deep", str(args.deep)] + (["--reuse"] if args.reuse else [])
            subprocess.run(command, check=False)
        return
    where = setup(args.database, args.docs, args.reuse)
    print(f"{args.database} at {where}")
    ensure_corpus(args.docs)
    ensure_snapshots()
    report(measure(args.runs, args.budget, args.deep), args.docs, args.database)


if __name__ == "__main__":
    main()
