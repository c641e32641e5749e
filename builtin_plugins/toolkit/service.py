"""What needs the host: hashes, HMAC, constant-time comparison and randomness (hashlib, hmac,
secrets, uuid). Bytes cross the JS boundary as base64 text, answers are hex or base64 text."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac as _hmac
import secrets
import uuid as _uuid

ALGORITHMS = ("md5", "sha1", "sha256", "sha512")
OUTPUTS = ("hex", "base64")
MAX_RANDOM_BYTES = 65536


def _bytes(data: str, what: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ValueError(f"{what} did not arrive as base64") from None


def _algorithm(alg: str) -> str:
    if alg not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {alg!r}; one of {', '.join(ALGORITHMS)}")
    return alg


def _out(raw: bytes, output: str) -> str:
    if output == "hex":
        return raw.hex()
    if output == "base64":
        return base64.b64encode(raw).decode("ascii")
    raise ValueError(f"unknown output encoding {output!r}; one of {', '.join(OUTPUTS)}")


def digest(alg: str, data_b64: str, output: str = "hex") -> str:
    return _out(hashlib.new(_algorithm(alg), _bytes(data_b64, "data")).digest(), output)


def hmac(alg: str, key_b64: str, data_b64: str, output: str = "hex") -> str:
    mac = _hmac.new(_bytes(key_b64, "key"), _bytes(data_b64, "data"), _algorithm(alg))
    return _out(mac.digest(), output)


def equal(a_b64: str, b_b64: str) -> bool:
    return _hmac.compare_digest(_bytes(a_b64, "a"), _bytes(b_b64, "b"))


def uuid() -> str:
    return str(_uuid.uuid4())


def random_bytes(n: int | float) -> str:
    if isinstance(n, float) and n.is_integer():  # JS numbers arrive as floats
        n = int(n)
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_RANDOM_BYTES:
        raise ValueError(f"n must be a whole number from 0 to {MAX_RANDOM_BYTES}")
    return base64.b64encode(secrets.token_bytes(n)).decode("ascii")
