"""MIME types: from the extension (the stdlib table, plus what it lacks), and for images checked
against the content's first bytes, so a page disguised as `photo.png` is not served as an image."""

from __future__ import annotations

import mimetypes

EXTRA = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".toml": "application/toml",
    ".ts": "text/x-typescript",
    ".tsx": "text/x-typescript",
    ".jsx": "text/javascript",
    ".mjs": "text/javascript",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".heic": "image/heic",
    ".ico": "image/vnd.microsoft.icon",
    ".log": "text/plain",
    ".env": "text/plain",
    ".ini": "text/plain",
    ".csv": "text/csv",
    ".jsonl": "application/jsonl",
    ".ndjson": "application/x-ndjson",
    ".wasm": "application/wasm",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".flac": "audio/flac",
    ".opus": "audio/opus",
    ".woff2": "font/woff2",
    ".7z": "application/x-7z-compressed",
}
OCTETS = "application/octet-stream"

# The first bytes of each image format m3m recognises, and its type.
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x00\x00\x01\x00", "image/vnd.microsoft.icon"),
)
HEAD_BYTES = 16
# Types a browser would run as a page from the server's own origin: served as attachments or
# under a sandboxing Content-Security-Policy (routes.py), never as live pages.
ACTIVE = {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/javascript", "application/javascript"}
TEXT_APPLICATIONS = {"application/json", "application/yaml", "application/toml", "application/xml", "application/javascript",
                     "application/jsonl", "application/x-ndjson", "application/x-sh", "application/sql"}


def by_name(name: str) -> str:
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    return EXTRA.get(suffix) or mimetypes.guess_type(name, strict=False)[0] or OCTETS


def sniff_image(head: bytes) -> str | None:
    """The image type the bytes start with, if any (RIFF....WEBP for webp)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for magic, mime in MAGIC:
        if head.startswith(magic):
            return mime
    return None


def of_file(name: str, head: bytes | None) -> str:
    """The type of a file named `name` whose first bytes are `head` (None: not read). An image
    name is trusted only when the bytes are an image too; svg is text and is not sniffed."""
    guessed = by_name(name)
    if head is None or not guessed.startswith("image/") or guessed == "image/svg+xml":
        return guessed
    return sniff_image(head) or (guessed if guessed in ("image/avif", "image/heic") else OCTETS)


def is_text(mime: str) -> bool:
    return mime.startswith("text/") or mime in TEXT_APPLICATIONS or mime.endswith("+json") or mime.endswith("+xml")
