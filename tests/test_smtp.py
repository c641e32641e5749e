"""$smtp from service code through real workers, to a local SMTP server (aiosmtpd) the test
starts: each message is parsed as it arrived (docs/smtp.md)."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy
from types import SimpleNamespace

import pytest

from builtin_plugins.smtp.config import NO_CREDENTIALS, resolve
import httpx

from conftest import ROOT_EMAIL, ROOT_PASSWORD, Server, free_port, login, server_env
from kernel.errors import Refused
from local_smtp import PASSWORD, USERNAME, LocalSmtp
from runtime_support import new_service

SERVICE = """
const failure = (e) => ({ error: { message: e.message, code: e.code, status: e.status, fields: e.fields || null } });
$router.post('/send', async (ctx) => { try { return await $smtp.send(ctx.body); } catch (e) { return failure(e); } });
$router.post('/send-files', async (ctx) => {
  await $storage.write('docs/report.pdf', new Uint8Array([37, 80, 68, 70, 0, 1, 2, 255]));
  try {
    return await $smtp.send({ ...ctx.body, attachments: [
      { filename: 'hello.txt', content: 'hello, attachment' },
      { filename: 'raw.bin', content: new Uint8Array([0, 255, 10, 13]), contentType: 'application/x-raw' },
      { path: 'docs/report.pdf' },
    ] });
  } catch (e) { return failure(e); }
});
"""


@pytest.fixture(scope="module")
def inbox():
    with LocalSmtp() as box:
        yield box


def mail_service(client, headers, variables: dict):
    service = new_service(client, headers)
    for key, value in variables.items():
        kind = "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else "string"
        saved = client.put(service.api(f"/env/{key}"), json={"type": kind, "value": value}, headers=headers)
        assert saved.status_code in (200, 201), saved.text
    assert service.deploy(SERVICE)["state"] == "running"
    return service


@pytest.fixture(scope="module")
def mailer(client, root_headers, inbox):
    service = mail_service(client, root_headers, {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": inbox.port, "SMTP_STARTTLS": False,
        "SMTP_USERNAME": USERNAME, "SMTP_PASSWORD": PASSWORD, "SMTP_FROM": "Robot <robot@m3m.test>",
    })
    yield service
    service.stop()


def send(service, body: dict, route: str = "/send") -> dict:
    response = service.client.post(service.bot(route), json=body)
    assert response.status_code == 200, response.text
    return response.json()


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=default_policy)


def body_text(part) -> str:
    return part.get_content().replace("\r\n", "\n")  # lines end in CRLF on the wire, as SMTP wants


def test_a_message_arrives_with_recipients_subject_bodies_and_attachments(mailer, inbox):
    before = len(inbox.messages)
    answer = send(mailer, {
        "to": ["Ann Example <ann@example.test>", "bob@example.test"], "cc": "carol@example.test", "bcc": ["dave@example.test"],
        "replyTo": "help@m3m.test", "subject": "Отчёт за неделю ✓", "text": "plain body\nline 2", "html": "<p>html <b>body</b></p>",
        "headers": {"X-Campaign": "weekly"},
    }, "/send-files")
    assert "error" not in answer, answer
    assert answer["accepted"] == ["ann@example.test", "bob@example.test", "carol@example.test", "dave@example.test"]
    assert answer["rejected"] == []
    [arrived] = inbox.messages[before:]
    assert arrived.login == "mailer"  # SMTP_USERNAME / SMTP_PASSWORD of the project
    assert arrived.sender == "robot@m3m.test"
    assert arrived.recipients == ["ann@example.test", "bob@example.test", "carol@example.test", "dave@example.test"]
    message = parsed(arrived.data)
    assert message["Message-ID"] == answer["messageId"] and answer["messageId"].endswith("@m3m.test>")
    assert message["From"] == "Robot <robot@m3m.test>"
    assert message["To"] == "Ann Example <ann@example.test>, bob@example.test" and message["Cc"] == "carol@example.test"
    assert message["Bcc"] is None and b"dave@" not in arrived.data  # bcc is in the envelope only
    assert message["Reply-To"] == "help@m3m.test" and message["X-Campaign"] == "weekly"
    assert message["Subject"] == "Отчёт за неделю ✓"
    assert body_text(message.get_body(("plain",))) == "plain body\nline 2\n"
    assert body_text(message.get_body(("html",))) == "<p>html <b>body</b></p>\n"
    files = {part.get_filename(): part for part in message.iter_attachments()}
    assert files["hello.txt"].get_content().strip() == "hello, attachment"
    assert files["raw.bin"].get_content_type() == "application/x-raw" and files["raw.bin"].get_content() == bytes([0, 255, 10, 13])
    assert files["report.pdf"].get_content_type() == "application/pdf"
    assert files["report.pdf"].get_content() == bytes([37, 80, 68, 70, 0, 1, 2, 255])  # from $storage


def test_only_text_or_only_html(mailer, inbox):
    send(mailer, {"to": "ann@example.test", "subject": "t", "text": "just text"})
    only_text = parsed(inbox.messages[-1].data)
    assert only_text.get_content_type() == "text/plain" and body_text(only_text) == "just text\n"
    send(mailer, {"to": "ann@example.test", "from": "other@m3m.test", "subject": "h", "html": "<i>just html</i>"})
    only_html = parsed(inbox.messages[-1].data)
    assert only_html.get_content_type() == "text/html" and only_html["From"] == "other@m3m.test"
    assert inbox.messages[-1].sender == "other@m3m.test"


def test_a_refused_recipient_is_reported_and_the_others_get_it(mailer, inbox):
    answer = send(mailer, {"to": ["ann@example.test", "nobody@example.test"], "subject": "s", "text": "x"})
    assert answer["accepted"] == ["ann@example.test"] and answer["rejected"] == ["nobody@example.test"]
    assert inbox.messages[-1].recipients == ["ann@example.test"]
    everyone = send(mailer, {"to": "nobody@example.test", "subject": "s", "text": "x"})
    assert everyone["error"]["code"] == "smtp_rejected" and "550" in everyone["error"]["message"]


@pytest.mark.parametrize("body, field", [
    ({"to": "ann@example.test", "subject": "Hi\r\nBcc: evil@example.test", "text": "x"}, "subject"),
    ({"to": "ann@example.test", "subject": "Hi\nX-Evil: 1", "text": "x"}, "subject"),
    ({"to": "ann@example.test\r\nBcc: evil@example.test", "subject": "Hi", "text": "x"}, "to"),
    ({"to": ["ann@example.test", "b@example.test\nCc: evil@example.test"], "subject": "Hi", "text": "x"}, "to"),
    ({"to": "ann@example.test", "cc": "x@example.test\rBcc: evil@example.test", "text": "x"}, "cc"),
    ({"to": "ann@example.test", "text": "x", "headers": {"X-A": "1\r\nBcc: evil@example.test"}}, "headers.X-A"),
    ({"to": "ann@example.test", "text": "x", "headers": {"Bcc": "evil@example.test"}}, "headers"),
    ({"to": "not an address", "text": "x"}, "to"),
    ({"subject": "nobody", "text": "x"}, "to"),
    ({"to": "ann@example.test"}, "text"),
    ({"to": "ann@example.test", "text": "x", "attachments": [{"content": "no name"}]}, "attachments.0.filename"),
    ({"to": "ann@example.test", "text": "x", "attachments": [{"path": "../etc/passwd"}]}, "path"),
    ({"to": "ann@example.test", "text": "x", "colour": "red"}, "colour"),
])
def test_header_injection_and_bad_input_are_refused_and_nothing_is_sent(mailer, inbox, body, field):
    before = len(inbox.messages)
    error = send(mailer, body)["error"]
    assert error["status"] == 422 and field in error["fields"], error
    assert len(inbox.messages) == before


def test_missing_configuration_and_connection_failures(client, root_headers, inbox):
    unconfigured = mail_service(client, root_headers, {})
    try:
        error = send(unconfigured, {"to": "ann@example.test", "text": "x"})["error"]
        assert error["code"] == "smtp_not_configured" and "SMTP_HOST" in error["message"]
    finally:
        unconfigured.stop()
    port = free_port()
    nothing_there = mail_service(client, root_headers, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_FROM": "r@m3m.test", "SMTP_STARTTLS": False})
    try:
        assert send(nothing_there, {"to": "ann@example.test", "text": "x"})["error"]["code"] == "refused"
    finally:
        nothing_there.stop()
    # STARTTLS is required by default, and the local server does not offer it: nothing is sent in clear
    before = len(inbox.messages)
    plain = mail_service(client, root_headers, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": inbox.port, "SMTP_FROM": "r@m3m.test"})
    try:
        error = send(plain, {"to": "ann@example.test", "text": "x"})["error"]
        assert error["code"] == "tls" and "STARTTLS" in error["message"]
        assert len(inbox.messages) == before
    finally:
        plain.stop()


def test_the_servers_settings_and_one_override(mongo_uri, tmp_path_factory, server, inbox):
    """smtp.* from the server's environment reach the worker; a project overrides one key."""
    root = tmp_path_factory.mktemp("smtp-server")
    env = server_env(root / "storage", free_port(), mongo_uri, M3M_SMTP__HOST="127.0.0.1", M3M_SMTP__PORT=str(inbox.port),
                     M3M_SMTP__STARTTLS="false", M3M_SMTP__USERNAME=USERNAME, M3M_SMTP__PASSWORD=PASSWORD,
                     M3M_SMTP__FROM="Server <server@m3m.test>")
    srv = Server(env, root).wait_ready()
    try:
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            headers = login(client, ROOT_EMAIL, ROOT_PASSWORD)
            for variables, sender in (({}, "server@m3m.test"), ({"SMTP_FROM": "project@m3m.test"}, "project@m3m.test")):
                service = mail_service(client, headers, variables)
                try:
                    answer = send(service, {"to": "ann@example.test", "subject": "from settings", "text": "x"})
                    assert answer["accepted"] == ["ann@example.test"], answer
                    arrived = inbox.messages[-1]
                    assert (arrived.sender, arrived.login) == (sender, USERNAME)
                finally:
                    service.stop()
    finally:
        srv.stop()


def settings(**values):
    base = {"host": "", "port": 0, "username": "", "password": "", "starttls": True, "tls": False, "from": "", "timeout": 30.0,
            "max_message": 1000}
    return SimpleNamespace(**{**base, **{("from" if key == "from_" else key): value for key, value in values.items()}})


def test_the_project_variables_override_the_settings_one_by_one():
    server = settings(host="mail.internal", username="ops", password="pw", from_="m3m@corp.test")
    config = resolve(server, {})
    assert (config.host, config.port, config.starttls, config.sender) == ("mail.internal", 587, True, "m3m@corp.test")
    config = resolve(server, {"SMTP_HOST": "smtp.project.test", "SMTP_PORT": 2525, "SMTP_STARTTLS": "false", "SMTP_FROM": "p@x.test"})
    # another server: the settings' login is not sent to it (tests/security/test_smtp_credentials.py)
    assert (config.host, config.port, config.starttls, config.username, config.sender) == ("smtp.project.test", 2525, False, "", "p@x.test")
    assert config.source["host"] == "SMTP_HOST" and config.source["username"] == NO_CREDENTIALS
    assert resolve(settings(tls=True), {}).port == 465 and resolve(settings(starttls=False), {}).port == 25
    assert resolve(server, {"SMTP_TLS": True}).port == 465
    with pytest.raises(Refused, match="SMTP_PORT"):
        resolve(server, {"SMTP_PORT": "many"})
    with pytest.raises(Refused, match="SMTP_STARTTLS"):
        resolve(server, {"SMTP_STARTTLS": "perhaps"})
