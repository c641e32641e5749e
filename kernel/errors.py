"""The one error envelope: {"error": {"code", "message", "fields"?}} for every failed request.

Plugins raise Refused (or a werkzeug HTTPException); anything else becomes a logged 500 whose
response carries no stack trace.
"""

from __future__ import annotations

import logging

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quart import Quart

log = logging.getLogger("m3m")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
    507: "insufficient_storage",
    504: "timeout",
}


class Refused(Exception):
    """The one error type for a refusal: routes and services raise it, and every layer passes it
    through unchanged (the REST envelope here; plugins that carry it elsewhere keep its parts).

    `field` is the input at fault (its reason is the message); `fields` names several.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.fields = fields or ({field: message} if field else None)


def not_found(what: str) -> Refused:
    return Refused(404, f"{what} not found")


def forbidden(message: str = "you may not do this") -> Refused:
    return Refused(403, message)


def conflict(message: str, field: str | None = None) -> Refused:
    return Refused(409, message, field=field)


def invalid(field: str, reason: str) -> Refused:
    return Refused(422, f"{field}: {reason}", fields={field: reason})


def envelope(status: int, message: str, code: str | None = None, fields=None):
    body = {"code": code or CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    from quart import jsonify  # here, not at the top: workers raise Refused without Quart loaded

    response = jsonify({"error": body})
    response.status_code = status
    return response


def install_error_handlers(app: Quart) -> None:
    # Here, not at the top: werkzeug.exceptions is ~6 MB of every worker's RSS, and workers
    # import this module for Refused alone.
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(Refused)
    async def _refused(exc: Refused):
        return envelope(exc.status, exc.message, exc.code, exc.fields)

    @app.errorhandler(HTTPException)
    async def _http_error(exc: HTTPException):
        status = exc.code or 500
        message = _HTTP_MESSAGES.get(status) or exc.description or exc.name
        response = envelope(status, message)
        if status == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    from pymongo.errors import ConnectionFailure

    @app.errorhandler(ConnectionFailure)
    async def _database_away(exc: ConnectionFailure):
        # The database stopped or cannot be reached: not a bug, and it passes; the driver
        # reconnects by itself once it is back.
        log.warning("the database does not answer: %s", str(exc).split(", Timeout:")[0])
        response = envelope(503, "the database does not answer; try again shortly", "database_unavailable")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    async def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return envelope(500, "internal error; the server log has the details")


_HTTP_MESSAGES = {
    400: "the request is malformed",
    404: "nothing here",
    405: "method not allowed here",
    413: "the request body is too large",
}
