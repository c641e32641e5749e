"""A local SMTP server (aiosmtpd) the $smtp tests and examples send to: it keeps each message as
it arrived, with its envelope and the login used, and refuses recipients named nobody@."""

from __future__ import annotations

from types import SimpleNamespace

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from kernel.embedded import free_port

USERNAME, PASSWORD = "mailer", "s3cret"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[SimpleNamespace] = []

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


def authenticate(server, session, envelope, mechanism, auth_data):
    good = (auth_data.login, auth_data.password) == (USERNAME.encode(), PASSWORD.encode())
    return AuthResult(success=good, auth_data=auth_data.login.decode() if good else None)


class LocalSmtp:
    """`with LocalSmtp() as inbox:` a server on 127.0.0.1:`inbox.port` (AUTH offered, no TLS)."""

    def __enter__(self) -> Inbox:
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticate, auth_require_tls=False)
        self.controller.start()
        self.inbox.port = self.controller.port
        return self.inbox

    def __exit__(self, *exc) -> None:
        self.controller.stop()
