"""The attack: a project sets SMTP_HOST / SMTP_PORT (its own variables) to a server of its own
while the server's settings carry the operator's SMTP login, and waits for `$smtp.send` to log in
there with it. Real `m3m serve` processes and local aiosmtpd servers that record every AUTH
attempt (tests/local_smtp.py); docs/smtp.md "Whose credentials", docs/security.md."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from builtin_plugins.smtp.config import NO_CREDENTIALS, resolve
from kernel.errors import Refused
from conftest import ROOT_EMAIL, ROOT_PASSWORD, Server, free_port, login, server_env
from local_smtp import PASSWORD, USERNAME, LocalSmtp
from runtime_support import new_service

SERVICE = """
$router.post('/send', async (ctx) => {
  try { return await $smtp.send({ to: 'ann@example.test', subject: 'hello', text: 'x' }); }
  catch (e) { return { error: { code: e.code, status: e.status, message: e.message } }; }
});
"""
OWN_LOGIN = {"project-mailer": "project-pass"}


@pytest.fixture(scope="module")
def operator():
    """The operator's SMTP server: the one the settings name, with the operator's login."""
    with LocalSmtp("127.0.0.1") as inbox:
        yield inbox


@pytest.fixture(scope="module")
def elsewhere(operator):
    """Servers a hostile project points at: one on the operator's host at another port, one on
    another host at the operator's port. Both take mail without a login and record any AUTH."""
    with LocalSmtp("127.0.0.1", logins={}) as other_port, LocalSmtp("127.0.0.2", logins={}, port=operator.port) as other_host:
        yield SimpleNamespace(other_port=other_port, other_host=other_host)


@pytest.fixture(scope="module")
def own():
    """A project's own server, with the project's own login."""
    with LocalSmtp("127.0.0.3", logins=OWN_LOGIN) as inbox:
        yield inbox


def operator_env(root, mongo_uri, operator, **extra):
    return server_env(root / "storage", free_port(), mongo_uri, M3M_SMTP__HOST="127.0.0.1", M3M_SMTP__PORT=str(operator.port),
                      M3M_SMTP__STARTTLS="false", M3M_SMTP__USERNAME=USERNAME, M3M_SMTP__PASSWORD=PASSWORD,
                      M3M_SMTP__FROM="m3m@m3m.test", **extra)


@pytest.fixture(scope="module")
def mail_server(mongo_uri, tmp_path_factory, server, operator):
    """The operator's login in the settings; loopback allowed, so that the projects' own servers
    (on 127.0.0.x) are reached and the test sees what they receive."""
    root = tmp_path_factory.mktemp("smtp-credentials")
    srv = Server(operator_env(root, mongo_uri, operator, M3M_HTTP__ALLOWED='["127.0.0.0/8"]'), root).wait_ready()
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        srv.client, srv.headers = client, login(client, ROOT_EMAIL, ROOT_PASSWORD)
        yield srv
    srv.stop()


def send_with(srv, variables: dict) -> dict:
    service = new_service(srv.client, srv.headers)
    for key, value in variables.items():
        kind = "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else "string"
        saved = srv.client.put(service.api(f"/env/{key}"), json={"type": kind, "value": value}, headers=srv.headers)
        assert saved.status_code in (200, 201), saved.text
    assert service.deploy(SERVICE)["state"] == "running"
    try:
        response = srv.client.post(service.bot("/send"))
        assert response.status_code == 200, response.text
        return response.json()
    finally:
        service.stop()


def test_a_project_pointing_smtp_elsewhere_never_receives_the_operators_login(mail_server, operator, elsewhere):
    for variables, fake in (({"SMTP_PORT": elsewhere.other_port.port}, elsewhere.other_port),
                            ({"SMTP_HOST": "127.0.0.2"}, elsewhere.other_host),
                            ({"SMTP_HOST": "127.0.0.2", "SMTP_PORT": operator.port, "SMTP_FROM": "p@m3m.test"}, elsewhere.other_host)):
        before = len(fake.messages)
        answer = send_with(mail_server, variables)
        assert answer.get("accepted") == ["ann@example.test"], (variables, answer)
        assert len(fake.messages) == before + 1 and fake.messages[-1].login is None  # it was reached, without a login
        assert fake.auth_attempts == [], variables  # and never saw the operator's username or password
    assert operator.auth_attempts == []


def test_the_operators_server_still_gets_the_operators_login(mail_server, operator):
    for variables in ({}, {"SMTP_FROM": "project@m3m.test"}, {"SMTP_HOST": "127.0.0.1", "SMTP_STARTTLS": False}):
        before = len(operator.messages)
        answer = send_with(mail_server, variables)
        assert answer.get("accepted") == ["ann@example.test"], (variables, answer)
        assert len(operator.messages) == before + 1 and operator.messages[-1].login == USERNAME
    assert set(operator.auth_attempts) == {(USERNAME, PASSWORD)}


def test_a_project_with_its_own_server_and_login_sends_its_own(mail_server, operator, own):
    [(username, password)] = OWN_LOGIN.items()
    answer = send_with(mail_server, {"SMTP_HOST": "127.0.0.3", "SMTP_PORT": own.port, "SMTP_USERNAME": username, "SMTP_PASSWORD": password})
    assert answer.get("accepted") == ["ann@example.test"], answer
    assert own.auth_attempts == [(username, password)] and own.messages[-1].login == username
    # its own username alone, on the operator's server or its own: refused, nothing is sent
    operator_attempts = len(operator.auth_attempts)
    for variables in ({"SMTP_USERNAME": username}, {"SMTP_HOST": "127.0.0.3", "SMTP_PORT": own.port, "SMTP_USERNAME": username}):
        refused = send_with(mail_server, variables)["error"]
        assert (refused["code"], refused["status"]) == ("validation_failed", 422) and "SMTP_PASSWORD" in refused["message"]
    assert own.auth_attempts == [(username, password)] and len(operator.auth_attempts) == operator_attempts


def test_a_projects_smtp_server_is_guarded_as_http_is(mail_server, operator):
    """Loopback is allowed on this server; m3m's own port and its database's still are not."""
    own_port = int(mail_server.env["M3M_SERVER__PORT"])
    for port in (own_port, 27017):
        answer = send_with(mail_server, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port})
        assert answer["error"]["code"] == "denied" and answer["error"]["status"] == 403, answer
        assert "which services do not reach" in answer["error"]["message"]


def test_by_default_a_projects_smtp_server_on_loopback_is_denied(mongo_uri, tmp_path_factory, server, operator, own):
    """Without http.allowed: the operator's server (loopback too) is used, the project's is refused
    before a connection (its server greets nobody)."""
    root = tmp_path_factory.mktemp("smtp-default")
    srv = Server(operator_env(root, mongo_uri, operator), root).wait_ready()
    try:
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            srv.client, srv.headers = client, login(client, ROOT_EMAIL, ROOT_PASSWORD)
            assert send_with(srv, {}).get("accepted") == ["ann@example.test"]
            greeted, attempts = own.greetings, len(own.auth_attempts)
            for host in ("127.0.0.3", "localhost", "0.0.0.0", "[::ffff:127.0.0.3]", "2130706435"):
                answer = send_with(srv, {"SMTP_HOST": host.strip("[]"), "SMTP_PORT": own.port})
                assert answer["error"]["code"] == "denied", (host, answer)
            assert own.greetings == greeted and len(own.auth_attempts) == attempts
    finally:
        srv.stop()


def settings(**values):
    base = {"host": "mail.corp.test", "port": 0, "username": "ops", "password": "ops-pass", "starttls": True, "tls": False,
            "from": "m3m@corp.test", "timeout": 30.0, "max_message": 1000}
    return SimpleNamespace(**{**base, **values})


@pytest.mark.parametrize("variables, login, source", [
    ({}, ("ops", "ops-pass"), "smtp settings"),
    ({"SMTP_FROM": "p@x.test"}, ("ops", "ops-pass"), "smtp settings"),
    ({"SMTP_HOST": "MAIL.corp.test."}, ("ops", "ops-pass"), "smtp settings"),  # the same host, spelled otherwise
    ({"SMTP_PORT": 587, "SMTP_STARTTLS": "true"}, ("ops", "ops-pass"), "smtp settings"),  # the values in effect already
    ({"SMTP_HOST": "evil.test"}, ("", ""), NO_CREDENTIALS),
    ({"SMTP_PORT": 2525}, ("", ""), NO_CREDENTIALS),
    ({"SMTP_STARTTLS": False}, ("", ""), NO_CREDENTIALS),  # the password would cross in clear
    ({"SMTP_TLS": True}, ("", ""), NO_CREDENTIALS),
    ({"SMTP_HOST": "evil.test", "SMTP_USERNAME": "me", "SMTP_PASSWORD": "mine"}, ("me", "mine"), "SMTP_USERNAME"),
])
def test_the_settings_login_goes_only_to_the_settings_connection(variables, login, source):
    config = resolve(settings(), variables)
    assert (config.username, config.password) == login
    assert config.source["username"] == source


@pytest.mark.parametrize("variables, missing", [({"SMTP_USERNAME": "me"}, "SMTP_PASSWORD"), ({"SMTP_PASSWORD": "guess"}, "SMTP_USERNAME")])
def test_a_login_is_a_pair_never_half_the_settings(variables, missing):
    """Half a login from the project would go out with the other half of the operator's."""
    with pytest.raises(Refused) as refused:
        resolve(settings(), variables)
    assert refused.value.status == 422 and list(refused.value.fields) == [missing]


def test_only_a_host_or_port_of_the_projects_is_guarded():
    assert resolve(settings(), {}).project_destination is False
    assert resolve(settings(port=587), {"SMTP_STARTTLS": False}).project_destination is False  # the operator's server, no TLS
    assert resolve(settings(), {"SMTP_STARTTLS": False}).project_destination is True  # port 0: 25 without TLS, not 587
    assert resolve(settings(), {"SMTP_HOST": "evil.test"}).project_destination is True
    assert resolve(settings(), {"SMTP_PORT": 25}).project_destination is True
    assert resolve(settings(host=""), {"SMTP_HOST": "mail.corp.test"}).project_destination is True
