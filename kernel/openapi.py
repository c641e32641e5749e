"""The OpenAPI document at /api/openapi.json: Quart-Schema's, plus what routes declare with
`kernel.api.answers` / `kernel.api.accepts` (their response and raw request bodies) and the
error envelope every operation may answer.

One rule: a response schema comes from the pydantic model (or type) the route declares; nothing
here is written by hand but the envelope, whose shape kernel/errors.py builds.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter
from quart_schema.openapi import OpenAPIProvider

ANSWERS = "_m3m_answers"  # {status: (type or None, media type, description)}
ACCEPTS = "_m3m_accepts"  # [(media type, type or None, description)]
REF = "#/components/schemas/{model}"
PARAMETER = re.compile(r"<(?:[^:<>]*:)?([^<>]+)>")
BINARY = {"type": "string", "format": "binary"}
TEXT = {"type": "string"}


class FieldProblem(BaseModel):
    """A field's refusal where a feature gives a code with the reason (e.g. a record's fields)."""

    model_config = ConfigDict(title="FieldProblem")
    code: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str | FieldProblem] | None = None


class Error(BaseModel):
    """An error in the envelope {error: {code, message, fields?}} (docs/api.md "Errors")."""

    error: ErrorBody


def schema_of(kind: Any, components: dict, mode: Literal["validation", "serialization"] = "serialization") -> dict:
    """The JSON schema of a pydantic model or type, its named parts moved into `components`.

    Two different models of one name would make one of them lie: that is refused here."""
    schema = TypeAdapter(kind).json_schema(ref_template=REF, mode=mode)
    for name, part in schema.pop("$defs", {}).items():
        _add(components, name, part)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        _add(components, kind.__name__, schema)
        return {"$ref": REF.format(model=kind.__name__)}
    return schema


def _add(components: dict, name: str, schema: dict) -> None:
    if components.get(name, schema) != schema:
        raise ValueError(f"two different schemas are named {name!r} in the OpenAPI document; rename one model")
    components[name] = schema


class EnvelopeOpenAPIProvider(OpenAPIProvider):
    """Quart-Schema's document, with every operation's declared answers and a `default`
    response: the error envelope (an empty Responses Object is not valid OpenAPI either)."""

    def generate_rules(self):
        # A rule with defaults (`/x` for `/x/<path:path>`) is an alias of a fuller rule of the
        # same view: the fuller one documents it (e.g. a pattern of paths).
        rules = list(super().generate_rules())
        full = {rule.endpoint for rule in rules if not rule.defaults}
        return [rule for rule in rules if not (rule.defaults and rule.endpoint in full)]

    def __init__(self, app, extension) -> None:
        super().__init__(app, extension)
        self.named: dict = {}  # every named schema of the document: one name, one schema

    def _media_schema(self, kind: Any, media: str, components: dict, mode) -> dict:
        if kind is None:
            return TEXT if media.startswith("text/") else BINARY
        schema = schema_of(kind, self.named, mode)
        components.update(self.named)
        return schema

    def build_querystring_parameters(self, model):
        """Quart-Schema's, with two fixes for a query string: a parameter the model requires is
        `required` (it looked for that in the property, not the model), and `null` is no value
        one can send (an absent parameter is the None of the model)."""
        parameters, definitions = super().build_querystring_parameters(model)
        required = set(TypeAdapter(model).json_schema(by_alias=True).get("required", []))
        for parameter in parameters:
            schema = parameter["schema"]
            choices = [choice for choice in schema.get("anyOf", []) if choice != {"type": "null"}]
            if "anyOf" in schema and len(choices) < len(schema["anyOf"]):
                rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
                parameter["schema"] = {**choices[0], **rest} if len(choices) == 1 else {"anyOf": choices, **rest}
            if parameter["name"] in required:
                parameter["required"] = True
        return parameters, definitions

    def build_paths(self, rule):
        paths, components = super().build_paths(rule)
        # Quart-Schema's pattern for <converter:name> spans two parameters of one segment
        # (`/x-<a>/<path:b>` became `/x-{b}`): the path is named again, one parameter at a time.
        paths = {PARAMETER.sub(r"{\1}", rule.rule): operations for operations in paths.values()}
        for name, part in components.items():  # the request models Quart-Schema found (@body)
            _add(self.named, name, part)
        func = self._app.view_functions[rule.endpoint]
        responses: dict = {}
        for status, kind, medias, description in getattr(func, ANSWERS, []):
            response = responses.setdefault(str(status), {"description": ""})
            response["description"] = description or response["description"] or _DESCRIPTIONS.get(status, "")
            for media in medias:
                response.setdefault("content", {})[media] = {"schema": self._media_schema(kind, media, components, "serialization")}
        accepts = getattr(func, ACCEPTS, [])
        for operations in paths.values():
            for method, operation in operations.items():
                operation = {**operation, "responses": {**operation.get("responses", {}), **responses}}
                if accepts:
                    operation["requestBody"] = {
                        "description": " | ".join(description for _, _, description in accepts if description),
                        "content": {media: {"schema": self._media_schema(kind, media, components, "validation")} for media, kind, _ in accepts},
                    }
                operations[method] = operation
        return paths, components

    def schema(self) -> dict:
        spec = super().schema()
        schemas = spec["components"]["schemas"]
        error = schema_of(Error, schemas)
        default = {
            "description": "An error in the envelope {error: {code, message, fields?}}",
            "content": {"application/json": {"schema": error}},
        }
        for operations in spec["paths"].values():
            for operation in operations.values():
                operation.setdefault("responses", {}).setdefault("default", default)
        return spec


_DESCRIPTIONS = {200: "OK", 201: "Created", 204: "No content", 206: "Part of the content"}
