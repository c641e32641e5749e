"""Which server a project's mail goes through: the [smtp] settings, each key overridden by the
project's variable of the same name (SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD,
SMTP_STARTTLS, SMTP_TLS, SMTP_FROM), read when the worker boots, like $env."""

from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import Refused

KEYS = ("host", "port", "username", "password", "starttls", "tls", "from")
VARIABLES = {key: f"SMTP_{key.upper()}" for key in KEYS}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    starttls: bool
    tls: bool
    sender: str
    timeout: float
    max_message: int
    source: dict  # key -> "settings" or the variable that set it (for messages; never a value)


def resolve(settings, variables: dict) -> SmtpConfig:
    """The configuration from `settings` (the smtp section) and the project's `variables`; a
    malformed variable is named in the refusal, the first time a mail is sent."""
    values = {key: getattr(settings, key) for key in KEYS}  # in a worker: the dumped keys, `from` included
    source = dict.fromkeys(KEYS, "smtp settings")
    for key, name in VARIABLES.items():
        if variables.get(name) not in (None, ""):
            values[key] = variables[name]
            source[key] = name
    for key in ("starttls", "tls"):
        values[key] = boolean(values[key], source[key])
    try:
        port = int(values["port"])
    except (TypeError, ValueError):
        port = -1
    if not 0 <= port <= 65535 or isinstance(values["port"], bool):
        raise Refused(422, f"{source['port']}: the SMTP port must be a number from 1 to 65535", field=VARIABLES["port"])
    if port == 0:
        port = 465 if values["tls"] else 587 if values["starttls"] else 25
    for key in ("host", "username", "password", "from"):
        if not isinstance(values[key], str):
            raise Refused(422, f"{source[key]}: must be a string", field=VARIABLES[key])
    return SmtpConfig(values["host"], port, values["username"], values["password"], values["starttls"], values["tls"],
                      values["from"], settings.timeout, settings.max_message, source)


def boolean(value, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise Refused(422, f"{source}: {value!r} is not true or false", field=source)
