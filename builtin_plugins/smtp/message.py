"""A service's `$smtp.send` options, checked and made into an email message. Every header a
service gives (addresses, subject, extra headers) is refused when it holds a CR or LF, so no
text of a service can start a header or a body of its own (header injection)."""

from __future__ import annotations

import base64
import binascii
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid

from kernel.errors import Refused

KNOWN = {"to", "cc", "bcc", "from", "replyTo", "subject", "text", "html", "headers", "attachments"}
LINE_BREAK = re.compile(r"[\r\n\x00]")
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Headers the message builds itself: a service's `headers` may not set them.
OWN_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version",
               "content-type", "content-transfer-encoding", "content-disposition"}


def bad(name: str, reason: str) -> Refused:
    return Refused(422, f"{name}: {reason}", fields={name: reason})


def one_line(name: str, value) -> str:
    if not isinstance(value, str):
        raise bad(name, "must be a string")
    if LINE_BREAK.search(value):
        raise bad(name, "may not contain line breaks (CR, LF) or NUL")
    return value


def addresses(name: str, value, required: bool = False) -> list[str]:
    """`"Ann <ann@example.com>"`, a list of them, or a comma-separated string -> checked addresses."""
    if value is None or value == [] or value == "":
        if required:
            raise bad(name, "at least one address is required")
        return []
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        for display, address in getaddresses([one_line(name, item)]):
            local, at, domain = address.rpartition("@")
            if not at or not local or not domain or " " in address:
                raise bad(name, f"{item!r} is not an email address")
            found.append(str(Address(display_name=display, addr_spec=address)) if display else address)
    if not found:
        raise bad(name, "at least one address is required")
    return found


def bare(address: str) -> str:
    return getaddresses([address])[0][1]


def build(options, config, files) -> tuple[EmailMessage, str, list[str]]:
    """(message, envelope sender, envelope recipients); `files` is the project's storage."""
    if not isinstance(options, dict):
        raise TypeError("$smtp.send takes an options object")
    unknown = sorted(set(options) - KNOWN)
    if unknown:
        raise bad(unknown[0], "unknown option (see the typings of $smtp.send)")
    to, cc, bcc = addresses("to", options.get("to")), addresses("cc", options.get("cc")), addresses("bcc", options.get("bcc"))
    if not (to or cc or bcc):
        raise bad("to", "at least one recipient (to, cc or bcc) is required")
    sender = options.get("from") or config.sender
    if not sender:
        raise Refused(422, "from: no sender: give `from`, or set smtp.from or the project's SMTP_FROM", field="from")
    sender = addresses("from", sender, required=True)[0]
    message = EmailMessage()
    message["From"] = sender
    if to:
        message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)  # bcc is in the envelope only, never in the message
    reply_to = addresses("replyTo", options.get("replyTo"))
    if reply_to:
        message["Reply-To"] = ", ".join(reply_to)
    message["Subject"] = one_line("subject", options.get("subject", ""))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=bare(sender).rpartition("@")[2])
    for key, value in headers_of(options.get("headers")).items():
        message[key] = value
    text, html = options.get("text"), options.get("html")
    for name, value in (("text", text), ("html", html)):
        if value is not None and not isinstance(value, str):
            raise bad(name, "must be a string")
    if text is None and html is None:
        raise bad("text", "give text, html or both")
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    attachments = options.get("attachments") or []
    if not isinstance(attachments, list):
        raise bad("attachments", "a list of {filename, content | path, contentType}")
    for index, attachment in enumerate(attachments):
        attach(message, f"attachments.{index}", attachment, files)
    return message, bare(sender), [bare(address) for address in to + cc + bcc]


def headers_of(value) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad("headers", "an object of strings")
    for key, text in value.items():
        if not TOKEN.fullmatch(key):
            raise bad("headers", f"{key!r} is not a header name")
        if key.lower() in OWN_HEADERS:
            raise bad("headers", f"{key} is set from the options, not from headers")
        one_line(f"headers.{key}", text)
    return value


def attach(message: EmailMessage, name: str, attachment, files) -> None:
    from builtin_plugins.storage.mime import by_name

    if not isinstance(attachment, dict):
        raise bad(name, "an object {filename, content | path, contentType}")
    filename = attachment.get("filename")
    if attachment.get("path") is not None:
        parts, handle = files.open(attachment["path"])
        with handle:
            size = handle.seek(0, 2)
            if size > files.limits.max_read:
                raise bad(name, f"{'/'.join(parts)} is larger than {files.limits.max_read} bytes (files.max_read)")
            handle.seek(0)
            data = handle.read()
        filename = filename or parts[-1]
    elif attachment.get("contentBase64") is not None:
        try:
            data = base64.b64decode(attachment["contentBase64"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise TypeError(f"{name}.content must cross as base64 text") from None
    elif isinstance(attachment.get("content"), str):
        data = attachment["content"].encode()
    else:
        raise bad(name, "give content (a string or a Uint8Array) or path (a file of $storage)")
    if not filename:
        raise bad(f"{name}.filename", "required when the attachment has no path")
    one_line(f"{name}.filename", filename)
    kind = attachment.get("contentType") or by_name(filename)
    maintype, _, subtype = one_line(f"{name}.contentType", kind).partition("/")
    if not maintype or not subtype:
        raise bad(f"{name}.contentType", f"{kind!r} is not a type like 'application/pdf'")
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
