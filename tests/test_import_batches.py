"""SQLite: a long import writes a chunk per transaction, so people editing meanwhile never fail.

Three processes on one database file, as in production: an import of a
large file, and an annotator editing the whole time. SQLite's busy timeout
is cut to 3 s, so one long write transaction (the old import) makes the
edits fail with "database is locked"; chunks of a fraction of a second
don't.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
import django; django.setup()
from annotator import services
from annotator.models import Membership
from django.contrib.auth import get_user_model
from tests.conftest import make_document, ARTICLE
project = services.ensure_project("news")
user = get_user_model().objects.create_user("ann", password="pw-for-tests-123")
Membership.objects.create(project=project, user=user, role="annotator")
document = make_document(project)
print(services.claim_document(document, user).pk)
"""

EDITS = """
import sys, time
import django; django.setup()
from annotator import services
from annotator.models import Annotation
from tests.conftest import ARTICLE
annotation = Annotation.objects.select_related("document__project").get(pk=int(sys.argv[1]))
label = annotation.document.project.labels.get(name="LOCATION").pk
start = ARTICLE.index("Mosul")
done = errors = 0
stop = time.time() + 600
while time.time() < stop:
    try:
        annotation.refresh_from_db()
        span = annotation.spans.filter(start=start).first()
        if span is None:
            services.add_span(annotation, annotation.annotator, version=annotation.version, start=start, end=start + 5, label_id=label)
        else:
            services.delete_span(annotation, annotation.annotator, version=annotation.version, span_id=span.pk)
        done += 1
    except Exception as error:
        errors += 1
        print("ERROR", type(error).__name__, error, flush=True)
    if open(sys.argv[2]).read().strip() == "stop":
        break
    time.sleep(0.02)
print("EDITS", done, errors, flush=True)
"""


@pytest.mark.slow
def test_people_edit_while_a_long_import_runs(tmp_path):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("SQLite's single writer is what this is about")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "annotator.settings",
        "SQLITE_BUSY_TIMEOUT": "3",
    }
    run = dict(cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], **run).returncode == 0
    made = subprocess.run([sys.executable, "-c", SETUP], **run)
    assert made.returncode == 0, made.stderr
    annotation = made.stdout.strip().splitlines()[-1]
    big = tmp_path / "big.jsonl"
    words = "Iraqi forces pressed fighters near Mosul while aid groups counted 200 families in camps. " * 25
    with big.open("w") as handle:
        for n in range(8000):
            text = f"Report {n}. {words}"
            handle.write(json.dumps({"id": f"r{n}", "text": text, "spans": [{"start": text.index("Mosul"), "end": text.index("Mosul") + 5, "label": "LOCATION"}]}) + "\n")
    flag = tmp_path / "flag"
    flag.write_text("")
    editor = subprocess.Popen(
        [sys.executable, "-c", EDITS, annotation, str(flag)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        imported = subprocess.run([sys.executable, "manage.py", "import_docs", str(big), "--project", "news"], **run)
    finally:
        flag.write_text("stop")
        out, err = editor.communicate(timeout=600)
    assert imported.returncode == 0, imported.stderr
    assert "8000 new documents" in imported.stderr + imported.stdout
    edits, errors = (int(x) for x in out.strip().splitlines()[-1].split()[1:3])
    assert errors == 0, out
    assert edits > 0
    counted = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\nfrom annotator.models import Annotation, EditEvent\n"
         f"a = Annotation.objects.get(pk={annotation})\nprint(a.version, EditEvent.objects.filter(annotation=a).count())"],
        **run,
    )
    version, events = (int(x) for x in counted.stdout.split())
    assert version == 1 + edits and events == 1 + edits  # every edit saved and logged: none lost
