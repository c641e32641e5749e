"""A record's file upload never holds the file in the server's memory, and never passes the
server's upload limit (the data store's file fields).

The attacker holds a project's API key (or is a member): it gives a file field a maxSize of a
terabyte (the field's options are the project's to choose) and uploads a large file into a
record. Before, every part was read whole into memory, and the request's only bound was that
option: a 400 MB upload grew the server by 400 MB, and a few at once, or one larger, take the
machine's memory from every other user. Now a part is copied to the project storage a chunk at
a time (memory stays flat), and a request is never larger than files.max_upload, whatever the
field allows."""

from __future__ import annotations

import pytest

from auth_support import assert_error
from conftest import new_project
from ops_support import Instance

MB = 1024 * 1024
MAX_UPLOAD = 300 * MB


@pytest.fixture(scope="module")
def field(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("filefield"), "filefield",
                        M3M_FILES__MAX_UPLOAD=str(MAX_UPLOAD)).start()
    project = new_project(instance.client, instance.headers, "files")
    key = instance.client.post(f"/api/projects/{project['id']}/api-key", headers=instance.headers).json()["apiKey"]
    headers = {"X-API-Key": key}
    base = f"/api/projects/{project['id']}/models"
    made = instance.client.post(base, headers=headers, json={"name": "Docs", "slug": "docs", "fields": [
        {"key": "doc", "type": "file", "options": {"maxSize": 10**12}}]})
    assert made.status_code == 201, made.text
    yield instance, base, headers
    instance.stop()


def peak_mb(instance: Instance) -> int:
    """The most memory the server process has held since the last reset_peak (its high-water mark)."""
    status = open(f"/proc/{instance.server.process.pid}/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) // 1024


def reset_peak(instance: Instance) -> int:
    """The high-water mark starts again from what the server holds now (Linux: clear_refs 5)."""
    with open(f"/proc/{instance.server.process.pid}/clear_refs", "w") as handle:
        handle.write("5")
    return peak_mb(instance)


def multipart(megabytes: int, name: str = "file"):
    yield (b'--B\r\nContent-Disposition: form-data; name="' + name.encode() + b'"; filename="big.bin"\r\n'
           b"Content-Type: application/octet-stream\r\n\r\n")
    chunk = b"\0" * MB
    for _ in range(megabytes):
        yield chunk
    yield b"\r\n--B--\r\n"


def test_a_large_file_upload_leaves_the_servers_memory_flat(field):
    instance, base, headers = field
    record = instance.client.post(f"{base}/docs/records", json={}, headers=headers).json()
    before = reset_peak(instance)
    answer = instance.client.post(f"{base}/docs/records/{record['id']}/files/doc", content=multipart(250), timeout=300,
                                  headers={**headers, "Content-Type": "multipart/form-data; boundary=B"})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["doc"].startswith("big_")
    assert peak_mb(instance) - before < 100, (before, peak_mb(instance))  # no copy of the 250 MB was held


def test_a_multipart_create_streams_its_files_too(field):
    instance, base, headers = field
    before = reset_peak(instance)
    answer = instance.client.post(f"{base}/docs/records", content=multipart(200, "doc"), timeout=300,
                                  headers={**headers, "Content-Type": "multipart/form-data; boundary=B"})
    assert answer.status_code == 201, answer.text[:300]
    assert answer.json()["doc"].startswith("big_")
    assert peak_mb(instance) - before < 100, (before, peak_mb(instance))


def test_an_upload_past_files_max_upload_is_refused_whatever_the_field_allows(field):
    instance, base, headers = field
    record = instance.client.post(f"{base}/docs/records", json={}, headers=headers).json()
    answer = instance.client.post(f"{base}/docs/records/{record['id']}/files/doc", content=multipart(320), timeout=300,
                                  headers={**headers, "Content-Type": "multipart/form-data; boundary=B"})
    assert_error(answer, 413)


def test_a_large_file_is_downloaded_without_the_server_holding_it(field):
    """Read back as it is sent: before, a download read the whole file into memory (refused past
    files.max_read), so each slow client held up to 64 MB of the server for as long as it liked."""
    instance, base, headers = field
    record = instance.client.post(f"{base}/docs/records", json={}, headers=headers).json()
    stored = instance.client.post(f"{base}/docs/records/{record['id']}/files/doc", content=multipart(150), timeout=300,
                                  headers={**headers, "Content-Type": "multipart/form-data; boundary=B"})
    assert stored.status_code == 200, stored.text[:300]
    before = reset_peak(instance)
    size = 0
    with instance.client.stream("GET", f"{base}/docs/records/{record['id']}/files/doc/{stored.json()['doc']}",
                                headers=headers, timeout=300) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-length"] == str(150 * MB)
        for chunk in answer.iter_bytes():
            size += len(chunk)
    assert size == 150 * MB
    assert peak_mb(instance) - before < 100, (before, peak_mb(instance))
