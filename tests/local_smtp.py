"""A local SMTP server (aiosmtpd) the $smtp tests and examples send to: it keeps each message as
it arrived, with its envelope and the login used, every AUTH attempt (the login and password a
client offered, accepted or not) and every greeting (EHLO), and refuses recipients named nobody@."""

from __future__ import annotations

from types import SimpleNamespace

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from kernel.embedded import free_port

USERNAME, PASSWORD = "mailer", "s3cret"


class Inbox:
    def __init__(self, logins: dict[str, str]) -> None:
        self.logins = logins  # the accounts this server takes: login -> password
        self.messages: list[SimpleNamespace] = []
        self.auth_attempts: list[tuple[str, str]] = []
        self.greetings = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(SimpleNamespace(
            sender=envelope.mail_from, recipients=list(envelope.rcpt_tos), data=envelope.original_content or envelope.content,
            login=session.auth_data if session.authenticated else None,
        ))
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.auth_attempts.append((login, password))
        good = self.logins.get(login) == password
        return AuthResult(success=good, auth_data=login if good else None)


class LocalSmtp:
    """`with LocalSmtp() as inbox:` a server on `host`:`inbox.port` (AUTH offered, not required,
    no TLS) that takes the login USERNAME/PASSWORD, or those of `logins`; on a free port unless
    `port` is given."""

    def __init__(self, host: str = "127.0.0.1", logins: dict[str, str] | None = None, port: int | None = None) -> None:
        self.host = host
        self.logins = {USERNAME: PASSWORD} if logins is None else logins
        self.port = port

    def __enter__(self) -> Inbox:
        self.inbox = Inbox(self.logins)
        self.controller = Controller(self.inbox, hostname=self.host, port=self.port or free_port(), authenticator=self.inbox.authenticate,
                                     auth_require_tls=False)
        self.controller.start()
        self.inbox.port = self.controller.port
        return self.inbox

    def __exit__(self, *exc) -> None:
        self.controller.stop()
