"""Hostile files, made here: each gets a clear `file:line: field: reason` error within seconds and stores nothing.

The same answers on SQLite and PostgreSQL (this module runs on both): NUL
characters and lone surrogates are refused before any database sees them.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator import services
from annotator.formats import FormatError, limits
from annotator.models import Document, GoldSpan, Membership, TaskRun

pytestmark = pytest.mark.django_db

DEEP = 100_000  # levels of nesting; Python's json gives up (RecursionError) near 1,000


def deep(levels: int = DEEP) -> str:
    return "[" * levels + "]" * levels


def _line(**fields) -> str:
    return json.dumps({"id": "a", "text": "Iraqi forces entered Mosul.", **fields}) + "\n"


# name, format, content (str or bytes), what the error must say
CASES = {
    "jsonl-deep-meta": (
        "deep.jsonl",
        "auto",
        _line(id="ok") + '{"id": "b", "text": "Iraqi forces entered Mosul.", "meta": {"x": ' + deep() + "}}\n",
        "deep.jsonl:2: JSON nested deeper than 64 levels",
    ),
    "labelstudio-deep": (
        "tasks.json",
        "labelstudio",
        '[{"data": {"text": "Iraqi forces entered Mosul.", "extra": ' + deep() + "}}]",
        "tasks.json:1: JSON nested deeper than 64 levels",
    ),
    "doccano-deep": (
        "doccano.jsonl",
        "doccano",
        '{"text": "Iraqi forces entered Mosul.", "label": ' + deep() + "}\n",
        "doccano.jsonl:1: JSON nested deeper than 64 levels",
    ),
    "lone-surrogate": (
        "surrogate.jsonl",
        "auto",
        _line(id="ok") + '{"id": "b", "text": "Iraqi \\ud800 forces"}\n',
        "surrogate.jsonl:2: field 'text': lone surrogate \\ud800 at offset 6",
    ),
    "lone-surrogate-meta": (
        "surrogate-meta.jsonl",
        "auto",
        '{"id": "b", "text": "Iraqi forces", "meta": {"source": "x\\udfff"}}\n',
        "surrogate-meta.jsonl:1: field 'meta.source': lone surrogate",
    ),
    "nul-text": (
        "nul.jsonl",
        "auto",
        _line(id="ok") + '{"id": "b", "text": "Iraqi\\u0000forces"}\n',
        "nul.jsonl:2: field 'text': NUL character at offset 5",
    ),
    "nul-raw-byte-txt": ("nul.txt", "auto", b"Iraqi forces\x00 entered Mosul.", "nul.txt:1: field 'text': NUL character at offset 12"),
    "nul-id": ("nul-id.jsonl", "auto", '{"id": "a\\u0000", "text": "Iraqi forces"}\n', "nul-id.jsonl:1: field 'id': NUL character"),
    "nul-label-studio-meta": (
        "ls.json",
        "labelstudio",
        '[{"data": {"text": "Iraqi forces entered Mosul."}, "meta": {"note": "a\\u0000b"}}]',
        "ls.json:1: field 'meta.note': NUL character",
    ),
    "nul-span-source": (
        "span.jsonl",
        "auto",
        '{"id": "b", "text": "Iraqi forces", "spans": [{"start": 0, "end": 5, "label": "ACTOR", "source": "x\\u0000"}]}\n',
        "span.jsonl:1: field 'spans[0].source': NUL character",
    ),
    "not-a-zip": ("corpus.zip", "auto", b"this is not a zip archive at all\n" * 10, "corpus.zip: not a zip archive"),
    "whitespace-only": ("blank.jsonl", "auto", '{"id": "b", "text": "   \\n\\t "}\n', "blank.jsonl:1: field 'text': must be a non-empty string"),
}


def _write(tmp_path, name: str, content) -> object:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _refused(project, path, fmt="auto", **options) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(FormatError) as caught:
        services.import_file(project, path, fmt=fmt, **options)
    return str(caught.value).replace(f"{path.parent}/", ""), time.monotonic() - started


@pytest.mark.parametrize("case", CASES)
def test_hostile_file_gets_a_clear_error_and_stores_nothing(project, tmp_path, case):
    name, fmt, content, expected = CASES[case]
    message, seconds = _refused(project, _write(tmp_path, name, content), fmt)
    assert message.startswith(expected), message
    assert seconds < 5
    assert Document.objects.count() == 0 and GoldSpan.objects.count() == 0


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_is_refused_before_it_is_decompressed(project, tmp_path):
    # 200 MB of text in a zip of a few hundred KB (the probe's was 100 MB in 204 KB).
    bomb = _zip({"doc.txt": b"Mosul " * (200 * 1024 * 1024 // 6), "doc.ann": b"T1\tLOCATION 0 5\tMosul\n"})
    assert len(bomb) < 1024 * 1024
    message, seconds = _refused(project, _write(tmp_path, "bomb.zip", bomb))
    assert message.startswith("bomb.zip: doc.txt: over 64 MB once decompressed (settings.IMPORT_MAX_MEMBER_BYTES)"), message
    assert seconds < 5
    assert Document.objects.count() == 0


def test_zip_whose_members_lie_about_their_size_is_refused_while_reading(project, tmp_path, settings):
    """The limit is counted on the bytes decompressed, not on the sizes the archive declares."""
    settings.IMPORT_MAX_MEMBER_BYTES = 1024 * 1024
    data = bytearray(_zip({"doc.txt": b"Mosul " * 1_000_000, "doc.ann": b""}))
    # Make the central directory claim 100 bytes for doc.txt (its local header is left alone).
    directory = data.rfind(b"PK\x01\x02")
    while directory != -1:
        name_length = int.from_bytes(data[directory + 28 : directory + 30], "little")
        if data[directory + 46 : directory + 46 + name_length] == b"doc.txt":
            data[directory + 24 : directory + 28] = (100).to_bytes(4, "little")
        directory = data.rfind(b"PK\x01\x02", 0, directory)
    message, seconds = _refused(project, _write(tmp_path, "liar.zip", bytes(data)))
    assert message.startswith("liar.zip: doc.txt:"), message
    assert seconds < 5 and Document.objects.count() == 0


def test_archive_total_after_decompression_is_limited(project, tmp_path, settings):
    settings.IMPORT_MAX_ARCHIVE_BYTES = 3 * 1024 * 1024
    members = {}
    for n in range(4):
        members[f"d{n}.txt"] = (f"Document {n} about Mosul. " * 40_000).encode()[: 1024 * 1024]
        members[f"d{n}.ann"] = b""
    message, _ = _refused(project, _write(tmp_path, "many.zip", _zip(members)))
    assert "over 3 MB once decompressed (settings.IMPORT_MAX_ARCHIVE_BYTES)" in message
    assert Document.objects.count() == 0


def test_ten_megabyte_document_is_refused_within_seconds(project, tmp_path):
    text = ("Iraqi forces entered Mosul while families fled. " * 220_000)[: 10 * 1024 * 1024]
    path = _write(tmp_path, "big.jsonl", _line(id="small") + json.dumps({"id": "big", "text": text}) + "\n")
    message, seconds = _refused(project, path)
    assert message.startswith(
        "big.jsonl:2: field 'text': the text is 10,485,760 characters, over the limit of 1,000,000 (settings.IMPORT_MAX_DOCUMENT_CHARS)"
    ), message
    assert seconds < 5
    assert Document.objects.count() == 0


def test_a_line_far_over_the_limits_is_refused_before_it_is_read_whole(project, tmp_path, settings):
    settings.IMPORT_MAX_DOCUMENT_CHARS = 1000  # lines over 12 * 1000 + 1 MB are refused unread
    path = _write(tmp_path, "huge.jsonl", '{"id": "a", "text": "' + "x" * (3 * 1024 * 1024) + '"}\n')
    message, _ = _refused(project, path)
    assert message.startswith("huge.jsonl:1: a line longer than 1 MB"), message


def test_a_huge_json_value_is_refused_before_it_is_buffered_whole(project, tmp_path, settings):
    settings.IMPORT_MAX_DOCUMENT_CHARS = 1000
    # Short lines (a pretty-printed file), one value of 3 MB: refused once 1 MB of it is buffered.
    path = _write(tmp_path, "huge.json", '[{"data": {"text": "Mosul", "x": [\n' + '"Mosul",\n' * 400_000 + '"end"]}}]')
    message, _ = _refused(project, path, "labelstudio")
    assert message.startswith("huge.json:1: a record longer than 1 MB"), message


def test_limits_are_settings(project, tmp_path, settings):
    settings.IMPORT_MAX_DOCUMENT_CHARS = 10
    settings.IMPORT_MAX_NESTING = 2
    message, _ = _refused(project, _write(tmp_path, "a.jsonl", '{"id": "a", "text": "Iraqi forces entered Mosul."}\n'))
    assert "over the limit of 10 " in message
    message, _ = _refused(project, _write(tmp_path, "b.jsonl", '{"id": "a", "text": "Mosul", "meta": {"a": {"b": 1}}}\n'))
    assert "nested deeper than 2 levels" in message
    assert limits.document_chars() == 10 and limits.nesting() == 2


def test_deep_but_allowed_nesting_and_brackets_in_strings_are_fine(project, tmp_path):
    meta = {"a": [[[[{"b": "[[[[[[[[" * 20 + "{{{{"}]]]]}
    path = _write(tmp_path, "fine.jsonl", _line(meta=meta, spans=[{"start": 0, "end": 12, "label": "ACTOR"}] ))
    result = services.import_file(project, path)
    assert result.documents_created == 1 and Document.objects.get().meta == meta


def test_skip_invalid_leaves_out_the_hostile_records_only(project, tmp_path):
    content = _line(id="good") + '{"id": "b", "text": "a\\u0000b"}\n' + '{"id": "c", "text": "x", "meta": ' + deep(200) + "}\n"
    problems = []
    path = _write(tmp_path, "mixed.jsonl", content)
    result = services.import_file(project, path, skip_invalid=True, on_invalid=lambda e: problems.append(str(e).replace(f"{tmp_path}/", "")))
    assert result.documents_created == 1 and result.invalid == 2
    assert problems[0].startswith("mixed.jsonl:2: field 'text': NUL character") and "nested deeper" in problems[1]


# ---------------------------------------------------------------- the upload page and the API


@pytest.fixture
def manager_client(client, make_user, project, settings, tmp_path):
    # The upload runs as a background task: here at once, inside the request.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.UPLOAD_DIR = tmp_path
    client.force_login(make_user("boss", role=Membership.Role.MANAGER, project=project))
    return client


@pytest.mark.parametrize("case", ["jsonl-deep-meta", "lone-surrogate", "nul-text", "not-a-zip", "labelstudio-deep"])
def test_upload_page_says_what_is_wrong_instead_of_500(manager_client, project, case):
    name, fmt, content, expected = CASES[case]
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    response = manager_client.post(
        reverse("import_upload", args=[project.slug]), {"file": SimpleUploadedFile(name, data), "format": fmt}, follow=True
    )
    assert response.status_code == 200
    shown = TaskRun.objects.get(kind="import").errors  # on the run's page, where the upload leads
    assert any(m.startswith(expected) and "Nothing from" in m for m in shown), shown
    assert Document.objects.count() == 0


def test_upload_page_refuses_a_zip_bomb(manager_client, project):
    bomb = _zip({"doc.txt": b"Mosul " * (100 * 1024 * 1024 // 6), "doc.ann": b""})
    response = manager_client.post(reverse("import_upload", args=[project.slug]), {"file": SimpleUploadedFile("bomb.zip", bomb)}, follow=True)
    assert any("IMPORT_MAX_MEMBER_BYTES" in m for m in TaskRun.objects.get(kind="import").errors)
    assert Document.objects.count() == 0


@pytest.fixture
def api(make_user, project):
    from ..api.conftest import token_client

    return token_client(make_user("api-boss", role=Membership.Role.MANAGER, project=project))


def _push(api, project, body: str):
    return api.post(f"/api/projects/{project.slug}/documents/", body, content_type="application/json")


def test_api_refuses_a_deeply_nested_body_with_400(api, project):
    started = time.monotonic()
    response = _push(api, project, '{"documents": [{"text": "Mosul", "meta": {"x": ' + deep() + "}}]}")
    assert response.status_code == 400 and "nested deeper than 64 levels" in response.json()["detail"]
    assert time.monotonic() - started < 5 and Document.objects.count() == 0


@pytest.mark.parametrize(
    "text, reason",
    [
        ('"Iraqi \\ud800 forces"', "lone surrogate"),
        ('"Iraqi\\u0000forces"', "NUL"),
        ('"   \\n "', "white space"),
        ("12345", "a valid string"),
    ],
)
def test_api_applies_the_text_rules_of_the_file_import(api, project, text, reason):
    response = _push(api, project, '{"documents": [{"id": "a", "text": ' + text + "}]}")
    assert response.status_code == 400 and reason in json.dumps(response.json()), response.json()
    assert Document.objects.count() == 0


def test_api_refuses_a_ten_megabyte_document(api, project):
    text = "Iraqi forces entered Mosul. " * 400_000
    started = time.monotonic()
    response = _push(api, project, json.dumps({"documents": [{"id": "big", "text": text}]}))
    assert response.status_code == 400 and "over the limit of 1,000,000" in json.dumps(response.json())
    assert time.monotonic() - started < 5 and Document.objects.count() == 0


def test_a_nul_in_a_query_or_form_is_400_on_every_database(manager_client, project, api):
    """A search for a NUL was a 500 on PostgreSQL (it cannot compare such text) and nothing on SQLite."""
    for path in (reverse("project_detail", args=[project.slug]) + "?q=a%00b", reverse("export", args=[project.slug]) + "?format=jsonl&model=%00"):
        response = manager_client.get(path)
        assert response.status_code == 400 and b"NUL" in response.content, path
    form = "name=a%00b"
    response = manager_client.post(reverse("project_settings", args=[project.slug]), form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    response = api.get(f"/api/projects/{project.slug}/documents/?q=%00")
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    assert manager_client.get(reverse("project_detail", args=[project.slug]) + "?q=Mosul").status_code == 200


def test_a_huge_plain_text_file_is_refused_unread(project, tmp_path, monkeypatch):
    path = tmp_path / "book.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB (of NULs: never read, the size says enough)
    opened = []
    monkeypatch.setattr(services.reading, "_lines", lambda *a: opened.append(a) or iter(()))
    message, seconds = _refused(project, path)
    assert message == "book.txt:1: field 'text': the file is 52,428,800 bytes, so its text is over the limit of 1,000,000 characters (settings.IMPORT_MAX_DOCUMENT_CHARS)"
    assert opened == [] and seconds < 1
