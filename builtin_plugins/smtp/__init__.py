"""Sending mail from services: `$smtp.send` through aiosmtplib, to the server of the [smtp]
settings or of the project's own SMTP_* variables (docs/smtp.md)."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import SmtpSettings

    return {"smtp": SmtpSettings}
