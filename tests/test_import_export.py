"""Import and export through the database: every format, layers, all-or-nothing, skip-invalid, limits, the page."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from annotator import services
from annotator.formats import FORMATS, FormatError, Record, Span
from annotator.formats.tokens import token_offsets
from annotator.offsets import pack_offsets
from annotator.models import Document, GoldSpan, PredictedSpan, Prediction
from annotator.selectors.layers import LayerReader, export_choices

from .conftest import ARTICLE, make_document
from .db.reference import layer_records
from .formats.test_consumers import DOCCANO, LABEL_STUDIO, PRODIGY


def write(path, text):
    path.write_text(text, encoding="utf-8", newline="")
    return path


def spans_of(project):
    return sorted((d.text[s.start : s.end], s.label.name) for d in project.documents.all() for s in d.gold_spans.all())


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("tasks.jsonl", "\n".join(json.dumps(t) for t in PRODIGY), 3),
        ("doccano.jsonl", "\n".join(DOCCANO), 6),
        ("export.json", json.dumps(LABEL_STUDIO, indent=2, ensure_ascii=False), 3),
        ("news.conll", "-DOCSTART- -X- -X- O\n\nIraqi -X- _ B-ACTOR\nforces -X- _ L-ACTOR\nin -X- _ O\nMosul -X- _ U-LOCATION\n\n", 2),
    ],
)
def test_import_docs_guesses_the_format_and_imports_every_span(project, tmp_path, name, content, expected):
    call_command("import_docs", str(write(tmp_path / name, content)))
    assert GoldSpan.objects.count() == expected
    assert all(d.tokens for d in Document.objects.all())


def test_label_studio_predictions_go_to_the_model_layer_only(project, tmp_path):
    path = write(tmp_path / "ls.json", json.dumps(LABEL_STUDIO))
    call_command("import_docs", str(path), "--layer", "model", "--model", "ner-v1")
    assert [(s.start, s.end, s.score) for s in PredictedSpan.objects.all()] == [(21, 26, 0.8)]
    assert not GoldSpan.objects.exists() and Prediction.objects.count() == 1


def test_a_bad_record_after_many_good_ones_stores_nothing(project, tmp_path):
    texts = [f"Document {i} about Mosul." for i in range(30)]
    good = [json.dumps({"text": t, "spans": [{"start": t.index("Mosul"), "end": t.index("Mosul") + 5, "label": "LOCATION"}]}) for t in texts]
    bad = json.dumps({"text": "Bad one.", "spans": [{"start": 0, "end": 3, "label": "WEAPON"}]})
    path = write(tmp_path / "docs.jsonl", "\n".join(good + [bad]) + "\n")
    with pytest.raises(FormatError) as error:
        services.import_file(project, path, chunk_size=7)  # several chunks are written before the bad line
    assert str(error.value).startswith(f"{path}:31: field 'spans[0]'") and "unknown label 'WEAPON'" in str(error.value)
    assert Document.objects.count() == 0 and GoldSpan.objects.count() == 0


def test_skip_invalid_imports_the_rest_and_writes_a_report(project, tmp_path):
    lines = [
        json.dumps({"text": "Iraqi forces entered Mosul.", "spans": [{"start": 21, "end": 26, "label": "LOCATION"}]}),
        "{broken",
        json.dumps({"text": "Overlap here.", "spans": [{"start": 0, "end": 7, "label": "ACTOR"}, {"start": 3, "end": 9, "label": "ACTOR"}]}),
        json.dumps({"text": "Raqqa fell.", "spans": [{"start": 0, "end": 5, "label": "LOCATION"}]}),
    ]
    path = write(tmp_path / "docs.jsonl", "\n".join(lines) + "\n")
    call_command("import_docs", str(path), "--skip-invalid")
    assert spans_of(project) == [("Mosul", "LOCATION"), ("Raqqa", "LOCATION")]
    report = (tmp_path / "docs.jsonl.skipped.txt").read_text().splitlines()
    assert report[0].startswith(f"{path}:2: broken JSON") and report[1].startswith(f"{path}:3:") and "overlaps" in report[1]


def test_a_file_over_the_limit_is_refused_unread(project, tmp_path, settings):
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: 2 GB long, nothing on disk
    with pytest.raises(CommandError, match=r"huge.jsonl: the file is 2.0 GB, over the import limit of 1.0 GB"):
        call_command("import_docs", str(path))
    settings.IMPORT_MAX_BYTES = 10
    with pytest.raises(FormatError, match="over the import limit"):
        services.import_file(project, write(tmp_path / "small.jsonl", json.dumps({"text": "More than ten bytes."})))


def test_empty_and_binary_files(project, tmp_path):
    with pytest.raises(FormatError, match="empty.conll: the file is empty"):
        services.import_file(project, write(tmp_path / "empty.conll", "\n\n"))
    (tmp_path / "latin1.jsonl").write_bytes(json.dumps({"text": "x"}).encode() + b"\n" + '{"text": "Zoë"}'.encode("latin-1"))
    with pytest.raises(FormatError, match="latin1.jsonl:2: not UTF-8"):
        services.import_file(project, tmp_path / "latin1.jsonl")


@pytest.fixture
def layers(project, predicted, make_user):
    """A document with gold, predictions and two annotators' submitted annotations."""
    for name in ("carol", "bob"):
        user = make_user(name, project=project)
        services.submit(services.start_annotation(predicted, user), user, version=1)
    return predicted


@pytest.mark.parametrize("layer", ["gold", "model", "annotations"])
def test_layer_reader_reads_what_layer_records_does(project, layers, layer):
    assert list(LayerReader(project, layer, chunk_size=1)) == list(layer_records(project, layer))


@pytest.fixture
def many_layers(project, fake_extractor, make_user):
    """Five documents (one with a score no 15-digit float holds), each with gold, predictions and two
    annotators' submitted annotations, one annotator's spans out of order."""
    texts = [ARTICLE.replace("Friday", day) for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Saturday")]
    for order, text in enumerate(texts, start=1):
        make_document(project, text=text, order=10 - order)
    services.predict_documents(project)
    services.import_records(
        project, [Record(id="x", text=texts[0], spans=[Span(0, 4, "ACTOR", score=1 / 3, source="by hand")])], layer="model", model="other"
    )
    carol, bob = make_user("carol", project=project), make_user("bob", project=project)
    for document in Document.objects.all():
        for user in (carol, bob):
            annotation = services.start_annotation(document, user)
            if user == bob:  # spans added last-first: stored out of text order
                label = project.labels.get(name="QUANTITY").pk
                start = document.text.index("200")
                services.add_span(annotation, bob, version=annotation.version, start=start, end=start + 3, label_id=label)
                annotation.refresh_from_db()
                day = document.text.index(" on ") + 4
                services.add_span(annotation, bob, version=annotation.version, start=day, end=day + 3, label_id=label)
                annotation.refresh_from_db()
            services.submit(annotation, user, version=annotation.version)
    return project


@pytest.mark.parametrize(
    "layer, model, count", [("gold", None, 5), ("model", "fake-extractor-1", 5), ("model", None, 1), ("annotations", None, 10)]
)
@pytest.mark.parametrize("chunk_size", [1, 2, 5, 900])
def test_layer_reader_reads_what_layer_records_does_in_any_chunks(many_layers, layer, model, count, chunk_size):
    expected = list(layer_records(many_layers, layer, model=model))
    assert len(expected) == count
    assert list(LayerReader(many_layers, layer, model=model, chunk_size=chunk_size)) == expected
    if layer == "model" and model is None:  # the latest model's: "other"
        assert expected[0].spans[0].score == 1 / 3


@pytest.mark.parametrize("layer, model", [("gold", None), ("model", "fake-extractor-1"), ("model", "other"), ("annotations", None)])
def test_jsonl_lines_straight_from_the_rows_are_what_the_jsonl_format_writes(many_layers, layer, model, tmp_path):
    records = list(LayerReader(many_layers, layer, model=model, chunk_size=2))
    lines = list(LayerReader(many_layers, layer, model=model, chunk_size=2).jsonl_lines())
    assert b"".join(line for _, _, line in lines) == "".join(FORMATS["jsonl"].dump(records)).encode("utf-8")
    assert [(i, n) for i, n, _ in lines] == [(r.id, len(r.spans)) for r in records]
    result = services.export_layer(many_layers, fmt="jsonl", layer=layer, model=model, output=tmp_path / "out", split=0.5, seed=3)
    assert (result.documents, result.spans) == (len(records), sum(len(r.spans) for r in records))
    written = [json.loads(line) for part in ("train", "dev") for line in (tmp_path / "out" / f"{part}.jsonl").read_text().splitlines()]
    assert sorted(w["id"] + w["meta"].get("annotator", "") for w in written) == sorted(r.id + r.meta.get("annotator", "") for r in records)


def test_a_reviewers_working_copy_is_not_exported_as_an_annotation(project, document, make_user):
    project.review_single = True
    project.save()
    alice = make_user("alice", project=project)
    annotation = services.start_annotation(document, alice)
    services.submit(annotation, alice, version=annotation.version)
    reviewer = make_user("rita", role="reviewer", project=project)
    review = services.start_review(document, reviewer)
    services.accept(review, reviewer, version=review.version)
    records = list(LayerReader(project, "annotations"))
    assert [r.meta["annotator"] for r in records] == ["alice"] and records == list(layer_records(project, "annotations"))
    assert export_choices(project)["annotators"] == ["alice"]


def test_documents_keep_their_token_offsets_packed(project, tmp_path):
    texts = ["Iraqi forces entered Mosul.", "x" * 300 + " \n\n" + " " * 300 + "Raqqa's (200 km)", "Zoë 👍 中文  東京都\r\n\tend"]
    call_command("import_docs", str(write(tmp_path / "docs.jsonl", "\n".join(json.dumps({"text": t}) for t in texts))))
    made = make_document(project, text="Made by hand, in the tests.", order=9)
    for document in Document.objects.all():
        assert document.tokens == token_offsets(document.text)
    assert Document.objects.get(pk=made.pk).tokens == [(0, 4), (5, 7), (8, 12), (12, 13), (14, 16), (17, 20), (21, 26), (26, 27)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, tokens FROM annotator_document")
        for text, stored in cursor.fetchall():
            assert bytes(stored) == pack_offsets(token_offsets(text))
    # Callers get (start, end) pairs, and can store any they have.
    made.tokens = [[0, 4], [5, 7]]
    made.save()
    assert Document.objects.filter(pk=made.pk).values_list("tokens", flat=True).get() == [(0, 4), (5, 7)]
    assert Document.objects.only("id").get(pk=made.pk).tokens == [(0, 4), (5, 7)]  # deferred, then loaded


@pytest.mark.django_db(transaction=True)
def test_the_migration_packs_and_unpacks_stored_tokens():
    executor = MigrationExecutor(connection)
    before, after = [("annotator", "0005_task_runs")], [("annotator", "0006_compact_tokens")]
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        project = apps.get_model("annotator", "Project").objects.create(slug="m", name="m")
        old = apps.get_model("annotator", "Document").objects
        texts = ["Iraqi forces entered Mosul.", "x" * 300 + " \n\n" + " " * 300 + "Raqqa's (200 km)"]
        for number, text in enumerate(texts):
            old.create(project=project, text=text, content_hash=str(number), tokens=[list(t) for t in token_offsets(text)])
        old.create(project=project, text="Tokens out of order.", content_hash="x", tokens=[[7, 9], [0, 6]])
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        packed = executor.loader.project_state(after).apps.get_model("annotator", "Document").objects.order_by("pk")
        assert [d.tokens for d in packed] == [token_offsets(t) for t in [*texts, "Tokens out of order."]]
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        apps = executor.loader.project_state(before).apps
        documents = apps.get_model("annotator", "Document").objects.order_by("pk")
        assert [d.tokens for d in documents] == [[list(t) for t in token_offsets(t)] for t in [*texts, "Tokens out of order."]]
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f not in ("txt",)])
def test_export_then_import_every_format(project, layers, tmp_path, fmt):
    output = tmp_path / f"out{'.zip' if fmt == 'brat' else FORMATS[fmt].SUFFIX}"
    call_command("export", "--format", fmt, "--layer", "gold", "--output", str(output))
    other = services.ensure_project("other")
    importer = "doccano" if fmt == "doccano-entities" else fmt
    services.import_file(other, output, fmt=importer)
    words = {(ARTICLE[s.start : s.end], s.label.name) for s in GoldSpan.objects.filter(document__project=project)}
    assert {(d.text[s.start : s.end], s.label.name) for d in other.documents.all() for s in d.gold_spans.all()} == words


def test_export_split_and_brat_folder(project, layers, make_user, tmp_path):
    for i in range(20):
        text = f"Text {i} in Mosul."
        record = {"id": f"d{i}", "text": text, "spans": [{"start": text.index("Mosul"), "end": text.index("Mosul") + 5, "label": "LOCATION"}]}
        services.import_file(project, write(tmp_path / f"d{i}.jsonl", json.dumps(record)))
    call_command("export", "--format", "spacy", "--split", "0.3", "--seed", "7", "--output", str(tmp_path / "corpus"))
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    parts = {p: [d.text for d in DocBin().from_disk(tmp_path / "corpus" / f"{p}.spacy").get_docs(Vocab())] for p in ("train", "dev")}
    assert len(parts["train"]) + len(parts["dev"]) == 21 and parts["dev"] and not set(parts["train"]) & set(parts["dev"])
    call_command("export", "--format", "spacy", "--split", "0.3", "--seed", "7", "--output", str(tmp_path / "again"))
    assert (tmp_path / "again" / "dev.spacy").read_bytes() == (tmp_path / "corpus" / "dev.spacy").read_bytes()
    call_command("export", "--format", "brat", "--output", str(tmp_path / "brat"))
    assert len(list((tmp_path / "brat").glob("*.ann"))) == 21 and (tmp_path / "brat" / "annotation.conf").exists()


def test_export_reports_spans_a_token_format_cannot_hold(project, tmp_path, capsys):
    path = write(tmp_path / "g.jsonl", json.dumps({"id": "w", "text": "In Mosul today.", "spans": [{"start": 2, "end": 8, "label": "LOCATION"}]}))
    services.import_file(project, path)
    call_command("export", "--format", "conll", "--output", str(tmp_path / "out.conll"))
    err = capsys.readouterr().err
    assert "out.conll: document 'w': span [2, 8) LOCATION ' Mosul': begins or ends with whitespace" in err
    assert "1 spans could not be written" in err


# ---------------------------------------------------------------- the page


def test_export_page_for_managers_only(client, ann_client, manager, layers):
    assert ann_client.get(reverse("export", args=["news"])).status_code == 403
    client.force_login(manager)
    page = client.get(reverse("export", args=["news"])).content.decode()
    assert "spaCy DocBin" in page and "fake-extractor-1" in page and '<option value="carol">' in page


@pytest.mark.parametrize("fmt", ["jsonl", "spacy", "conll", "labelstudio", "brat", "prodigy", "doccano"])
def test_download_streams_each_format(client, manager, layers, fmt):
    client.force_login(manager)
    response = client.get(reverse("export", args=["news"]), {"format": fmt, "layer": "annotations", "annotator": "bob"})
    assert response.status_code == 200 and response.streaming and "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    if fmt == "brat":
        assert zipfile.ZipFile(io.BytesIO(data)).namelist()[-1] == "annotation.conf"
    elif fmt == "conll":
        assert "Iraqi -X- _ B-ACTOR\nforces -X- _ I-ACTOR\n" in data.decode()
    elif fmt != "spacy":
        assert "Iraqi forces" in data.decode()


def test_download_of_unknown_model_is_404(client, manager, layers):
    client.force_login(manager)
    response = client.get(reverse("export", args=["news"]), {"format": "jsonl", "layer": "model", "model": "nope"})
    assert response.status_code == 404 and b"no predictions of 'nope'" in response.content


def test_import_upload(client, ann_client, manager, project, settings, tmp_path):
    """The upload runs as a background task (here at once); its page shows the report (tests/jobs has more)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.UPLOAD_DIR = tmp_path
    upload = SimpleUploadedFile("doccano.jsonl", "\n".join(DOCCANO).encode())
    assert ann_client.post(reverse("import_upload", args=["news"]), {"file": upload}).status_code == 403
    client.force_login(manager)
    upload = SimpleUploadedFile("doccano.jsonl", "\n".join(DOCCANO).encode())
    response = client.post(reverse("import_upload", args=["news"]), {"file": upload, "format": "auto", "layer": "gold"}, follow=True)
    assert "3 new documents" in response.content.decode() and GoldSpan.objects.count() == 6
    bad = SimpleUploadedFile("bad.jsonl", b'{"text": "x", "label": [[0, 1, "WEAPON"]]}')
    response = client.post(reverse("import_upload", args=["news"]), {"file": bad, "format": "doccano"}, follow=True)
    assert "bad.jsonl:1: field &#x27;label[0]&#x27;: document" in response.content.decode()  # the span as the file names it
