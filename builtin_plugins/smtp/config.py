"""Which server a project's mail goes through: the [smtp] settings, each key overridden by the
project's variable of the same name (SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD,
SMTP_STARTTLS, SMTP_TLS, SMTP_FROM), read when the worker boots, like $env.

The server's username and password go only to the server's own connection: a project whose
variables change the host, the port or the TLS settings brings its own credentials, or sends
without AUTH. Otherwise a service would set SMTP_HOST to a host of its own and receive the
operator's password there (docs/smtp.md "Whose credentials")."""

from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import Refused

KEYS = ("host", "port", "username", "password", "starttls", "tls", "from")
VARIABLES = {key: f"SMTP_{key.upper()}" for key in KEYS}
CONNECTION = ("host", "port", "starttls", "tls")  # where and how the credentials travel
CREDENTIALS = ("username", "password")  # a pair: both from the settings, or both from the project
NO_CREDENTIALS = "none: the project names its own connection"


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
    source: dict  # key -> "smtp settings", the variable that set it, or NO_CREDENTIALS (for messages; never a value)
    project_destination: bool  # the host or the port is the project's, not the settings': http's guard checks it


def resolve(settings, variables: dict) -> SmtpConfig:
    """The configuration from `settings` (the smtp section) and the project's `variables`; a
    malformed variable is named in the refusal, the first time a mail is sent."""
    configured = {key: getattr(settings, key) for key in KEYS}  # in a worker: the dumped keys, `from` included
    values = dict(configured)
    source = dict.fromkeys(KEYS, "smtp settings")
    for key, name in VARIABLES.items():
        if variables.get(name) not in (None, ""):
            values[key] = variables[name]
            source[key] = name
    connection = checked(values, source)
    operators = checked(configured, dict.fromkeys(KEYS, "smtp settings"))  # pydantic checked them: no refusal here
    given = [key for key in CREDENTIALS if source[key] != "smtp settings"]
    if len(given) == 1:  # a pair: the settings' password never goes with the project's username
        missing = VARIABLES[next(key for key in CREDENTIALS if key not in given)]
        raise Refused(422, f"{VARIABLES[given[0]]} is set: set {missing} too (the project's login is both, "
                           f"never one of them with the server's)", field=missing)
    if not given and comparable(connection) != comparable(operators):
        for key in CREDENTIALS:
            values[key], source[key] = "", NO_CREDENTIALS
    for key in ("username", "password", "from"):
        if not isinstance(values[key], str):
            raise Refused(422, f"{source[key]}: must be a string", field=VARIABLES[key])
    host, port, starttls, tls = connection
    project_destination = comparable(connection)[:2] != comparable(operators)[:2]
    return SmtpConfig(values["host"], port, values["username"], values["password"], starttls, tls,
                      values["from"], settings.timeout, settings.max_message, source, project_destination)


def checked(values: dict, source: dict) -> tuple[str, int, bool, bool]:
    """(host, port, starttls, tls) with the port's default filled in: the connection as made
    (implicit TLS has no STARTTLS)."""
    starttls, tls = (boolean(values[key], source[key]) for key in ("starttls", "tls"))
    starttls = starttls and not tls
    try:
        port = int(values["port"])
    except (TypeError, ValueError):
        port = -1
    if not 0 <= port <= 65535 or isinstance(values["port"], bool):
        raise Refused(422, f"{source['port']}: the SMTP port must be a number from 1 to 65535", field=VARIABLES["port"])
    if port == 0:
        port = 465 if tls else 587 if starttls else 25
    if not isinstance(values["host"], str):
        raise Refused(422, f"{source['host']}: must be a string", field=VARIABLES["host"])
    return values["host"], port, starttls, tls


def comparable(connection: tuple[str, int, bool, bool]) -> tuple[str, int, bool, bool]:
    """A connection with its host as DNS compares names: case does not matter, nor a final dot."""
    host, port, starttls, tls = connection
    return host.lower().rstrip("."), port, starttls, tls


def boolean(value, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise Refused(422, f"{source}: {value!r} is not true or false", field=source)
