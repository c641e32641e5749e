"""The example services in examples/ run as shipped: deployed, then called over HTTP."""

from pathlib import Path

import pytest

from conftest import ROOT
from runtime_support import new_service

EXAMPLES = ROOT / "examples"


@pytest.fixture
def service(client, root_headers):
    deployed = new_service(client, root_headers)
    yield deployed
    deployed.stop()


def test_core_example(client, service):
    assert service.deploy((EXAMPLES / "core.js").read_text())["state"] == "running"
    assert client.get(service.bot("/hello/ann?page=2")).json() == {"hello": "ann", "page": 2}
    echoed = client.post(service.bot("/echo"), json={"a": 1})
    assert echoed.status_code == 201 and echoed.json()["received"] == {"a": 1}
    assert client.post(service.bot("/echo")).status_code == 400
    assert client.get(service.bot("/health")).json() == {"ok": True}
    service.wait_log("booting")


def test_bot_example(client, service):
    headers = service.headers
    client.put(service.api("/env/BOT_TOKEN"), json={"type": "string", "value": "t0k3n"}, headers=headers)
    client.put(service.api("/env/MAX_REPLY"), json={"type": "integer", "value": 12}, headers=headers)
    client.post(service.api("/goals"), json={"name": "Messages", "slug": "messages", "type": "daily_counter"}, headers=headers)
    assert service.deploy((EXAMPLES / "telegram-like-bot.js").read_text())["state"] == "running"
    assert client.post(service.bot("/webhook/nope"), json={"text": "x"}).status_code == 403
    reply = client.post(service.bot("/webhook/webhook"), json={"text": "hello there, long message"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["reply"].startswith("Hello") and len(reply.json()["reply"]) <= 12
    assert reply.json()["slug"] == "hello-there-long-message"
    assert client.get(service.bot("/stats")).json()["total"] == 1
    encoded = client.get(service.bot("/encode/abc")).json()
    assert encoded["base64"] == "YWJj" and encoded["hex"] == "616263" and encoded["back"] == "abc"
    assert encoded["md5"] == "900150983cd24fb0d6963f7d28e17f72" and encoded["bytes"] == 4
    service.wait_log("stored message")


def test_file_drop_example(client, service):
    import httpx

    assert service.deploy((EXAMPLES / "file-drop.js").read_text())["state"] == "running"
    made = client.post(service.bot("/notes/first"), content="hello, storage", headers={"Content-Type": "text/plain"})
    assert made.status_code == 201 and made.json()["path"] == "notes/first.txt"
    client.post(service.bot("/notes/second"), json={"a": 1})
    note = client.get(service.bot("/notes/first")).json()
    assert note["text"] == "hello, storage"
    assert httpx.get(note["link"]).text == "hello, storage"  # the direct link, no login
    assert sorted(client.get(service.bot("/notes")).json()) == ["first.txt", "second.txt"]
    # the admin API sees what the service wrote
    listing = client.get(service.api("/storage"), params={"path": "notes"}, headers=service.headers).json()
    assert {entry["name"] for entry in listing["entries"]} == {"first.txt", "second.txt", "index.log"}
    assert client.post(service.bot("/rename/second/third")).json()["path"] == "notes/third.txt"
    removed = client.delete(service.bot("/notes/first")).json()
    assert removed == {"removed": "notes/first.txt", "bytes": 14, "trash": "dir"}
    assert client.get(service.bot("/notes/first")).status_code == 404


def test_image_cards_example(client, service):
    import io

    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(photo, format="JPEG")
    uploaded = client.put(service.api("/storage/content"), params={"path": "uploads/cat.jpg"}, content=photo.getvalue(), headers=service.headers)
    assert uploaded.status_code in (200, 201), uploaded.text
    assert service.deploy((EXAMPLES / "image-cards.js").read_text())["state"] == "running"
    made = client.post(service.bot("/thumbs/cat.jpg")).json()
    assert made["original"] == {"width": 640, "height": 480, "format": "JPEG"}
    assert (made["square"], made["grey"]) == ("thumbs/cat.jpg.jpg", "thumbs/cat.jpg-grey.jpg")
    square = client.get(service.api("/storage/content"), params={"path": made["square"]}, headers=service.headers).content
    grey = Image.open(io.BytesIO(client.get(service.api("/storage/content"), params={"path": made["grey"]}, headers=service.headers).content))
    assert Image.open(io.BytesIO(square)).size == (256, 256) and grey.size == (256, 256) and grey.mode == "L"
    card = client.get(service.bot("/card"), params={"title": "Привет, m3m", "subtitle": "share cards"})
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(card.content)).convert("RGB")
    assert image.size == (1200, 630) and image.getpixel((10, 10)) == (0x1E, 0x3A, 0x5F) and image.getpixel((100, 100)) == (255, 255, 255)
    title_row = image.crop((60, 120, 1140, 280))
    assert (0x1E, 0x3A, 0x5F) in [colour for _, colour in title_row.getcolors(100_000)]  # the title is drawn on the panel
    assert image.getpixel((1112, 582)) == (0xFF, 0xCC, 0x00)  # the badge made at start, in the corner


def test_uptime_mailer_example(client, service):
    from email import message_from_bytes
    from email.policy import default

    from kernel.embedded import free_port
    from local_http import LocalHttp
    from local_smtp import LocalSmtp

    with LocalHttp() as site, LocalSmtp() as inbox:
        variables = {"SMTP_HOST": ("string", "127.0.0.1"), "SMTP_PORT": ("integer", inbox.port), "SMTP_STARTTLS": ("boolean", False),
                     "SMTP_FROM": ("string", "uptime@m3m.test"), "REPORT_TO": ("string", "ops@m3m.test")}
        for key, (kind, value) in variables.items():
            client.put(service.api(f"/env/{key}"), json={"type": kind, "value": value}, headers=service.headers)
        assert service.deploy((EXAMPLES / "uptime-mailer.js").read_text())["state"] == "running"
        down = f"http://127.0.0.1:{free_port()}/"
        checked = client.post(service.bot("/check"), json={"urls": [site.url + "/json", site.url + "/status/503", down]}).json()["results"]
        assert [(r["up"], r["status"], r["problem"]) for r in checked] == [(True, 200, None), (False, 503, None), (False, 0, "refused")]
        assert client.post(service.bot("/status-page"), json={"url": site.url + "/json"}).json()["data"]["hello"] == "world"
        assert client.post(service.bot("/status-page"), json={"url": site.url + "/bytes"}).json() == {"problem": "invalid_json"}
        sent = client.post(service.bot("/report")).json()
        assert sent["accepted"] == ["ops@m3m.test"]
        [arrived] = inbox.messages
        message = message_from_bytes(arrived.data, policy=default)
        assert message["Subject"] == "Uptime: 3 checks, 2 down" and message["To"] == "ops@m3m.test"
        assert "status/503" in message.get_body(("plain",)).get_content()
        [log] = list(message.iter_attachments())
        assert log.get_filename() == "checks.csv" and log.get_content().count("\n") == 3
        service.wait_log(f"report {sent['messageId']} sent to ops@m3m.test")


def test_every_example_is_tested():
    tested = Path(__file__).read_text()
    for example in EXAMPLES.glob("*.js"):
        assert example.name in tested, f"examples/{example.name} has no test here"


def test_tasks_board_example(client, service):
    import json

    for model in json.loads((EXAMPLES / "tasks-board.models.json").read_text()):
        assert client.post(service.api("/models"), json=model, headers=service.headers).status_code == 201
    assert service.deploy((EXAMPLES / "tasks-board.js").read_text())["state"] == "running"
    ann = client.post(service.bot("/people"), json={"name": "Ann", "email": "ann@example.org"})
    assert ann.status_code == 201, ann.text
    refused = client.post(service.bot("/people"), json={"name": "", "email": "nope"})
    assert refused.status_code == 422
    assert {key: value["code"] for key, value in refused.json()["fields"].items()} == {"name": "validation_required", "email": "validation_invalid_email"}
    first = client.post(service.bot("/tasks"), json={"title": "Fix the login", "ownerEmail": "ann@example.org", "labels": ["bug"], "points": 3, "due": "2025-03-01"})
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "open" and first.json()["owner"] == ann.json()["id"]
    client.post(service.bot("/tasks"), json={"title": "Write docs", "labels": ["chore"], "due": "2025-02-01"})
    # The query text is a bound value: quotes and operators in it are plain text.
    assert [t["title"] for t in client.get(service.bot("/tasks")).json()] == ["Write docs", "Fix the login"]
    assert [t["owner"] for t in client.get(service.bot("/tasks"), params={"q": "ann"}).json()] == ["Ann"]
    assert client.get(service.bot("/tasks"), params={"q": "' || title != '"}).json() == []
    done = client.post(service.bot(f"/tasks/{first.json()['id']}/done"))
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert client.get(service.bot("/stats")).json() == {"open": 1, "done": 1, "bugs": 1, "people": 1}
    # The admin API sees what the service wrote.
    listed = client.get(service.api("/models/tasks/records"), params={"filter": "status = 'done'"}, headers=service.headers).json()
    assert [r["title"] for r in listed["items"]] == ["Fix the login"]
