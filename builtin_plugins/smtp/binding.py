"""Host side of $smtp: `send(options)` builds the message (message.py), sends it with aiosmtplib
over a connection of its own, and answers {messageId, accepted, rejected}. Failures reject with a
code: smtp_not_configured, dns, refused, timeout, tls, smtp_auth, smtp_rejected, smtp, denied.

A server the project's variables name (another host or port than the settings') is connected to
through $http's guard: the same ranges (http.denied, http.allowed) and never m3m's own port or its
database's. The operator's server in the settings is the operator's choice and is not checked."""

from __future__ import annotations

import asyncio
import socket
import ssl

import aiosmtplib

from builtin_plugins.env.service import EnvService
from builtin_plugins.http.guard import Guard
from builtin_plugins.runtime.sdk import Binding
from builtin_plugins.storage.service import Files, project_dir
from kernel.errors import Refused

from .config import VARIABLES, resolve
from .message import build


async def binding(ctx) -> Binding:
    variables = await EnvService(ctx.db).values(ctx.project["id"])
    smtp_variables = {name: variables.get(name) for name in VARIABLES.values()}
    files = Files(project_dir(ctx.settings.storage.path, ctx.project["id"]), ctx.settings.files)
    guard = Guard.of(ctx.settings, ctx.db.uri, field=VARIABLES["host"])

    sending = [0]  # mails under way: the service must not be put to sleep meanwhile (docs/runtime/sleep.md)

    async def send(options) -> dict:
        sending[0] += 1
        try:
            return await send_now(options)
        finally:
            sending[0] -= 1

    async def send_now(options) -> dict:
        config = resolve(ctx.settings.smtp, smtp_variables)
        if not config.host:
            raise Refused(503, "no SMTP server is configured: set smtp.host in the server's settings, "
                               "or SMTP_HOST (and SMTP_PORT, ...) in the project's variables", code="smtp_not_configured")
        message, sender, recipients = await asyncio.to_thread(build, options, config, files)
        data = message.as_bytes()
        if len(data) > config.max_message:
            raise Refused(413, f"the message is {len(data)} bytes, more than {config.max_message} (smtp.max_message)", code="too_large")
        where = f"{config.host}:{config.port}"
        sock = None
        try:
            if config.project_destination:  # connected here, to the addresses the guard checked; the transport owns it
                sock = await guard.connect(config.host, config.port, config.timeout)
            errors, _ = await aiosmtplib.send(
                data, sender=sender, recipients=recipients, hostname=config.host, port=None if sock else config.port, sock=sock,
                username=config.username or None, password=config.password or None,
                use_tls=config.tls, start_tls=config.starttls, timeout=config.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(f"{error.recipient} ({error.code} {error.message})" for error in exc.recipients)
            raise Refused(502, f"{where} refused every recipient: {refused}", code="smtp_rejected") from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise Refused(502, f"{where} refused the login ({exc.code} {exc.message})", code="smtp_auth") from None
        except (aiosmtplib.SMTPConnectTimeoutError, aiosmtplib.SMTPTimeoutError, TimeoutError):
            raise Refused(504, f"{where} did not answer within {config.timeout:g}s (smtp.timeout)", code="timeout") from None
        except aiosmtplib.SMTPConnectError as exc:
            raise connect_refusal(where, config.host, exc) from None
        except ssl.SSLError as exc:
            raise Refused(502, f"TLS with {where} failed: {exc}", code="tls") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise Refused(502, f"{where} answered {exc.code} {exc.message}", code="smtp") from None
        except aiosmtplib.SMTPException as exc:
            code = "tls" if "STARTTLS" in str(exc) else "smtp"
            raise Refused(502, f"{where}: {exc}", code=code) from None
        rejected = sorted(errors)
        return {"messageId": message["Message-ID"], "accepted": [r for r in recipients if r not in errors], "rejected": rejected}

    return Binding(operations={"send": send}, awake=lambda: f"{sending[0]} mails being sent" if sending[0] else None)


def connect_refusal(where: str, host: str, exc: Exception) -> Refused:
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, socket.gaierror):
        return Refused(502, f"cannot resolve {host}", code="dns")
    if isinstance(cause, ConnectionRefusedError) or "refused" in str(exc).lower():
        return Refused(502, f"{where} refused the connection", code="refused")
    if isinstance(cause, ssl.SSLError):
        return Refused(502, f"TLS with {where} failed: {cause}", code="tls")
    return Refused(502, f"cannot connect to {where}: {exc}", code="unreachable")
