"""The [smtp] section: the server $smtp sends through, unless a project names its own in its
variables (SMTP_HOST, ...: config.py)."""

from pydantic import ConfigDict, Field

from kernel.settings import Duration, Int, Section, Size


class SmtpSettings(Section):
    # `from` is a Python keyword: the attribute is from_, the key (in files, M3M_SMTP__FROM, the
    # dump `m3m settings` prints and a worker receives) is from.
    model_config = ConfigDict(serialize_by_alias=True)

    host: str = ""  # empty: no server; $smtp.send rejects unless the project sets SMTP_HOST
    port: Int = Field(0, ge=0, le=65535)  # 0: 465 with tls, else 587 with starttls, else 25
    username: str = ""  # empty: no AUTH
    password: str = ""
    starttls: bool = True  # upgrade with STARTTLS, and refuse to send when the server does not offer it
    tls: bool = False  # implicit TLS from the first byte (port 465); overrides starttls
    from_: str = Field("", alias="from")  # the sender when a message names none
    timeout: Duration = 30  # connecting and each reply of the server
    max_message: Size = 25 * 1024**2  # the whole message, attachments included
