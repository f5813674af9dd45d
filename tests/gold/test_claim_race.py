"""Eight annotators open the same document by id and press Start at once: at most k annotations.

On PostgreSQL the claim holds the document's row (threads, each with its own
connection). On SQLite the write transaction is the lock: eight processes
(like eight web workers) share one database file.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from annotator import services
from annotator.models import Annotation

from ..conftest import make_document

ROOT = Path(__file__).resolve().parents[2]
USERS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("k", [1, 2])
def test_concurrent_starts_by_id_on_postgresql(project, make_user, k):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    project.annotators_per_document = k
    project.save()
    document = make_document(project)
    users = [make_user(f"ann{i}", project=project) for i in range(USERS)]
    barrier = threading.Barrier(USERS)
    outcomes = []

    def start(user):
        try:
            barrier.wait()
            services.claim_document(document, user)
            outcomes.append("claimed")
        except services.ClaimRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["claimed"] * k + ["refused"] * (USERS - k)
    assert Annotation.objects.filter(document=document).count() == k


SETUP = """
import django; django.setup()
from annotator import services
from annotator.models import Document, Membership
from django.contrib.auth import get_user_model
from tests.conftest import make_document
project = services.ensure_project("race")
project.annotators_per_document = {k}
project.save()
document = make_document(project)
for i in range({users}):
    user = get_user_model().objects.create_user(f"ann{{i}}", password="pw-for-tests-123")
    Membership.objects.create(project=project, user=user, role="annotator")
print(document.pk)
"""

CLAIM = """
import sys, time
import django; django.setup()
from annotator import services
from annotator.models import Document
from django.contrib.auth import get_user_model
document = Document.objects.select_related("project").get(pk={document})
user = get_user_model().objects.get(username=sys.argv[1])
while time.time() < {at}:
    time.sleep(0.005)
try:
    services.claim_document(document, user)
    print("claimed")
except services.ClaimRefused:
    print("refused")
"""


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 2])
def test_concurrent_starts_by_id_on_sqlite(tmp_path, k):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the SQLite variant (the PostgreSQL run has its own)")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}", "DJANGO_SETTINGS_MODULE": "annotator.settings"}
    run = dict(cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], **run)
    assert migrated.returncode == 0, migrated.stderr
    made = subprocess.run([sys.executable, "-c", SETUP.format(k=k, users=USERS)], **run)
    assert made.returncode == 0, made.stderr
    document = int(made.stdout.strip().splitlines()[-1])
    at = time.time() + 12  # every process is up and waiting by then
    code = CLAIM.format(document=document, at=at)
    processes = [
        subprocess.Popen([sys.executable, "-c", code, f"ann{i}"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(USERS)
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outcomes.append(out.strip().splitlines()[-1])
    assert sorted(outcomes) == ["claimed"] * k + ["refused"] * (USERS - k)
    counted = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\nfrom annotator.models import Annotation\nprint(Annotation.objects.filter(document_id={document}).count())"],
        **run,
    )
    assert int(counted.stdout.strip()) == k
