"""The attack: a server a service calls (which m3m does not trust) answers `$http` with a
decompression bomb, a body a thousand times smaller on the wire than what it decodes to: 1 GiB of
zeros as `Content-Encoding: gzip` (1 MB), the same gzipped again (`gzip, gzip`: 2 KB on the wire,
1 MB after one pass), and as `deflate`. Each bomb is smaller than the caps, so the declared
Content-Length lets it through and only the decoding can stop it. `$http.get` and `$http.download`
must refuse each with `too_large` at the cap, the download must leave nothing in storage, and the
worker's peak resident memory (VmHWM) must grow by far less than the bomb (a memory bound, never a
timing). A real `m3m serve`, a real worker, a local HTTP server (tests/local_http.py);
docs/http.md "Size", docs/security.md."""

from __future__ import annotations

import gzip
import json
import zlib

import httpx
import pytest

from builtin_plugins.http.decoding import Decoder
from conftest import ROOT_EMAIL, ROOT_PASSWORD, Server, free_port, login, server_env
from local_http import LocalHttp
from runtime_support import new_service
from security.hostile_tars import MIB, peak_rss

GIB = 1024 * MIB
MAX_RESPONSE, MAX_DOWNLOAD = 4 * MIB, 16 * MIB
# What the worker may grow by while it refuses a bomb: a few pieces and the capped body, far below
# the bomb (and below what one 64 KB read of a gzip bomb inflates to: 64 MB).
ROOM = 64 * MIB

SERVICE = """
const failure = (e) => ({ error: { code: e.code, status: e.status, message: e.message } });
$router.post('/get', async (ctx) => {
  try {
    const r = await $http.get(ctx.body.url, { responseType: ctx.body.type || 'text', headers: ctx.body.headers || {} });
    const bytes = r.bytes();
    return { status: r.status, headers: r.headers, length: bytes.length,
             text: ctx.body.type === 'bytes' ? null : r.text, value: ctx.body.type === 'json' ? r.json() : null,
             bytes: ctx.body.type === 'bytes' ? Array.from(bytes) : null };
  } catch (e) { return failure(e); }
});
$router.post('/download', async (ctx) => {
  try { return { file: (await $http.download(ctx.body.url, ctx.body.path)).file }; } catch (e) { return failure(e); }
});
$router.post('/exists', async (ctx) => ({ exists: await $storage.exists(ctx.body.path) }));
"""


def deflated_zeros(size: int) -> bytes:
    """`size` zero bytes as one raw deflate stream (level 9: about 1/1030 of the size)."""
    packer, zeros = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS), bytes(MIB)
    return b"".join(packer.compress(zeros) for _ in range(size // MIB)) + packer.flush()


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """Content-Encoding -> a body that decodes to 1 GiB of zeros. One deflate stream, framed as
    gzip (RFC 1952: header, stream, CRC-32, size mod 2^32) and as zlib (RFC 1950: header, stream,
    Adler-32), so each is a valid body a client would decode to its end."""
    stream, zeros, crc, adler = deflated_zeros(GIB), bytes(MIB), 0, 1
    for _ in range(GIB // MIB):
        crc, adler = zlib.crc32(zeros, crc), zlib.adler32(zeros, adler)
    gzipped = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + stream + crc.to_bytes(4, "little") + (GIB % 2**32).to_bytes(4, "little")
    assert zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(gzipped, 1024) == bytes(1024)  # what it claims to be
    return {
        "gzip": gzipped,
        "gzip, gzip": gzip.compress(gzipped, 9),
        "deflate": b"\x78\xda" + stream + adler.to_bytes(4, "big"),
    }


@pytest.fixture(scope="module")
def origin():
    """The remote server a service calls: here it is the attacker."""
    with LocalHttp("127.0.0.1") as local:
        yield local


@pytest.fixture(scope="module")
def bomb_server(server, mongo_uri, tmp_path_factory):
    """A server of its own (the session's users) with caps larger than any bomb on the wire and
    far smaller than what they decode to, and loopback open to services (the origin lives there)."""
    root = tmp_path_factory.mktemp("http-bombs")
    env = server_env(root / "storage", free_port(), mongo_uri, M3M_HTTP__ALLOWED='["127.0.0.0/8"]',
                     M3M_HTTP__MAX_RESPONSE=str(MAX_RESPONSE), M3M_HTTP__MAX_DOWNLOAD=str(MAX_DOWNLOAD))
    srv = Server(env, root).wait_ready()
    srv.storage = root / "storage"
    yield srv
    srv.stop()


def deployed_on(bomb_server):
    with httpx.Client(base_url=bomb_server.url, timeout=120) as client:
        deployed = new_service(client, login(client, ROOT_EMAIL, ROOT_PASSWORD))
        assert deployed.deploy(SERVICE)["state"] == "running"
        yield deployed
        deployed.stop()


@pytest.fixture(scope="module")
def service(bomb_server):
    yield from deployed_on(bomb_server)


@pytest.fixture
def fresh_service(bomb_server):
    """A worker of its own: its peak memory (VmHWM) owes nothing to an earlier test."""
    yield from deployed_on(bomb_server)


def call(service, route: str, body: dict) -> dict:
    response = service.client.post(service.bot(route), json=body)
    assert response.status_code == 200, response.text
    return response.json()


def files_of(bomb_server, service) -> list[str]:
    """Every file of the project on disk: its tree, its tmp/ (downloads under way), its thumbs/."""
    folder = bomb_server.storage / "projects" / service.project["id"]
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if not path.is_dir())


# A normal answer: text with non-ASCII characters, larger than one 64 KB piece once decoded.
DOCUMENT = {"greeting": "grüße, café ☕", "rows": [{"n": n, "name": f"row {n}"} for n in range(20_000)]}
TEXT = json.dumps(DOCUMENT, ensure_ascii=False)


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def test_encoded_answers_decode_to_the_same_text_and_json(service, origin):
    data = TEXT.encode()
    assert len(data) > 4 * 64 * 1024
    encoded = {"gzip": gzip.compress(data), "x-gzip": gzip.compress(data), "deflate": zlib.compress(data),
               "gzip, gzip": gzip.compress(gzip.compress(data)), "deflate, gzip": gzip.compress(zlib.compress(data)),
               "identity, gzip": gzip.compress(data)}
    for index, (coding, body) in enumerate({**encoded, "deflate (raw, as some servers send it)": raw_deflate(data)}.items()):
        url = origin.serve(f"/doc-{index}", body, Content_Type="application/json; charset=utf-8",
                           Content_Encoding=coding.split(" (")[0])
        answer = call(service, "/get", {"url": url, "type": "json"})
        assert answer.get("text") == TEXT and answer["value"] == DOCUMENT and answer["length"] == len(data), (coding, answer.get("error"))
        assert answer["headers"]["content-encoding"] == coding.split(" (")[0]  # the headers as the server sent them
    # latin-1 text, gzipped: decoded with the charset the server named, as before
    url = origin.serve("/latin1.gz", gzip.compress("café".encode("latin-1")), Content_Type="text/plain; charset=iso-8859-1",
                       Content_Encoding="gzip")
    assert call(service, "/get", {"url": url})["text"] == "café"
    # a download stores the decoded body
    saved = call(service, "/download", {"url": origin.serve("/doc.gz", encoded["gzip"], Content_Encoding="gzip"), "path": "doc.json"})
    assert saved["file"]["size"] == len(data), saved
    content = service.client.get(service.api("/storage/content"), params={"path": "doc.json"}, headers=service.headers)
    assert content.content == data


def test_the_client_asks_for_what_it_decodes_and_passes_other_codings_on(service, origin):
    asked = json.loads(call(service, "/get", {"url": origin.url + "/echo"})["text"])
    assert asked["headers"]["accept-encoding"] == "gzip, deflate"
    # a service's own Accept-Encoding is sent as it is, and a coding $http does not decode crosses
    # as the server sent it, bounded like any body
    own = json.loads(call(service, "/get", {"url": origin.url + "/echo", "headers": {"Accept-Encoding": "br"}})["text"])
    assert own["headers"]["accept-encoding"] == "br"
    body = bytes(range(256)) * 3
    for index, coding in enumerate(("br", "zstd", "compress", "gzip, br", "gzip, gzip, gzip, gzip, gzip")):
        answer = call(service, "/get", {"url": origin.serve(f"/raw-{index}", body, Content_Encoding=coding), "type": "bytes"})
        assert bytes(answer["bytes"]) == body and answer["headers"]["content-encoding"] == coding, coding
    # a body that is not what its coding says
    broken = call(service, "/get", {"url": origin.serve("/broken.gz", b"this is not gzip at all", Content_Encoding="gzip")})
    assert broken["error"]["code"] == "bad_response" and broken["error"]["status"] == 502, broken


@pytest.mark.parametrize("operation", ["get", "download"])
def test_decompression_bombs_are_refused_and_the_workers_memory_stays_flat(fresh_service, origin, bombs, bomb_server, operation):
    service = fresh_service
    cap, name = (MAX_RESPONSE, "http.max_response") if operation == "get" else (MAX_DOWNLOAD, "http.max_download")
    warm = origin.serve("/warm.gz", gzip.compress(b'{"warm": true}'), Content_Encoding="gzip")
    assert "error" not in call(service, f"/{operation}", {"url": warm, "path": "warm.json"})  # the code paths are loaded
    pid = service.state()["pid"]
    stored = files_of(bomb_server, service)
    for coding, body in bombs.items():
        assert len(body) < cap  # a declared Content-Length passes: only the decoding can stop it
        url = origin.serve(f"/bomb-{operation}-{coding.replace(', ', '-')}", body, Content_Encoding=coding)
        before = peak_rss(pid)
        answer = call(service, f"/{operation}", {"url": url, "path": "bomb.bin"})
        grown = peak_rss(pid) - before
        assert grown < ROOM, f"{coding}: the worker's peak memory grew by {grown // MIB} MiB for a body of {len(body)} bytes"
        assert answer.get("error", {}).get("code") == "too_large", (coding, answer)
        assert answer["error"]["status"] == 413 and str(cap) in answer["error"]["message"] and name in answer["error"]["message"]
        assert files_of(bomb_server, service) == stored, coding  # nothing placed, nothing left in tmp/
        assert call(service, "/exists", {"path": "bomb.bin"}) == {"exists": False}
    assert service.state()["pid"] == pid  # the same worker, never restarted


@pytest.mark.parametrize("step", [1, 2, 7, 4096, 64 * 1024])
def test_every_split_of_an_encoded_body_decodes_the_same(step):
    """However the network cuts the body (one byte at a time: a deflate body's first two bytes
    then arrive apart), each coding decodes to the same bytes, in pieces of at most one piece."""
    data = TEXT.encode()
    for coding, body in {"gzip": gzip.compress(data), "deflate": zlib.compress(data), "deflate (raw)": raw_deflate(data),
                         "gzip, gzip": gzip.compress(gzip.compress(data)), "deflate, gzip": gzip.compress(zlib.compress(data))}.items():
        decoder, pieces = Decoder.of(coding.split(" (")[0].split(","), 64 * 1024), []
        for start in range(0, len(body), step):
            pieces += decoder.decode(body[start:start + step])
        assert b"".join(pieces) == data and max(map(len, pieces)) <= 64 * 1024, (coding, step)


def test_a_bomb_is_decoded_one_piece_at_a_time(bombs):
    """The whole double-gzipped bomb given at once: each piece is made only when asked for."""
    decoder = Decoder.of(["gzip", "gzip"], 64 * 1024)
    pieces = decoder.decode(bombs["gzip, gzip"])
    assert [len(next(pieces)) for _ in range(3)] == [64 * 1024] * 3
