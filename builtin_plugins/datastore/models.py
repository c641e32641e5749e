"""Models: a project's record types. The definition is checked with pydantic (a 422 names the
field at fault, e.g. `fields.2.default`), stored in the collection `datastore_models`; a model's
records live in a collection of their own, `records_{model id}`."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kernel.api import Schema
from kernel.errors import Refused

from . import fields as types
from .fields import KEY, RESERVED, FieldError

SLUG = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")  # a JS identifier: `$database.<slug>`; never `__x__`
JS_RESERVED = frozenset(
    "break case catch class const continue debugger default delete do else enum export extends false finally for "
    "function if import in instanceof new null return super switch this throw true try typeof var void while with "
    "yield let static implements interface package private protected public await constructor prototype __proto__ "
    "hasOwnProperty toString valueOf then".split()
)
WIDGETS = {
    "string": ("input", "select"), "text": ("textarea", "tiptap", "markdown"), "number": ("input", "slider"),
    "float": ("input", "slider"), "bool": ("switch", "checkbox"), "document": ("json",), "json": ("json",),
    "ref": ("select", "search"), "date": ("picker",), "datetime": ("picker",), "email": ("input",),
    "url": ("input",), "select": ("select", "radio", "checkboxes"), "file": ("upload",),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextOptions(Strict):
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=1)
    pattern: str | None = Field(None, max_length=500)
    unique: bool = False

    @field_validator("pattern")
    @classmethod
    def compiles(cls, value):
        if value:
            try:
                types.regex.compile(value)
            except types.regex.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value


class LongTextOptions(Strict):
    max: int | None = Field(None, ge=1)


class NumberOptions(Strict):
    min: float | None = None
    max: float | None = None
    unique: bool = False


class NoOptions(Strict):
    pass


class DocumentOptions(Strict):
    maxSize: int | None = Field(None, ge=2)


class SelectOptions(Strict):
    values: list[str] = Field(min_length=1, max_length=500)
    maxSelect: int = Field(1, ge=1, le=500)

    @field_validator("values")
    @classmethod
    def distinct(cls, values):
        if len(set(values)) != len(values) or any(not value or len(value) > 200 for value in values):
            raise ValueError("values must be distinct, non-empty strings of at most 200 characters")
        return values


class FileOptions(Strict):
    maxSize: int | None = Field(None, ge=1)  # bytes of one file; datastore.max_file_size when unset
    mimeTypes: list[str] = Field(default_factory=list, max_length=100)  # "image/png", "image/*"; empty: any
    maxSelect: int = Field(1, ge=1, le=100)


class RefOptions(Strict):
    model: str = Field(min_length=1, max_length=64)  # the slug of the model referred to
    maxSelect: int = Field(1, ge=1, le=1000)
    cascadeDelete: bool = False


OPTIONS = {
    "string": TextOptions, "email": TextOptions, "url": TextOptions, "text": LongTextOptions,
    "number": NumberOptions, "float": NumberOptions, "bool": NoOptions, "date": NoOptions, "datetime": NoOptions,
    "document": DocumentOptions, "json": DocumentOptions, "select": SelectOptions, "ref": RefOptions, "file": FileOptions,
}


class FieldIn(Schema):
    key: str
    type: Literal["string", "text", "number", "float", "bool", "document", "json", "ref", "date", "datetime", "email", "url", "select", "file"]
    required: bool = False
    nullable: bool = True
    default: Any = None
    options: dict = Field(default_factory=dict)
    label: str = Field("", max_length=200)
    description: str = Field("", max_length=2000)

    @field_validator("key")
    @classmethod
    def identifier(cls, key):
        if not KEY.match(key):
            raise ValueError("use a letter, then letters, digits and _ (at most 64)")
        if key in RESERVED:
            raise ValueError(f"{key} is a system field")
        return key

    @model_validator(mode="after")
    def options_fit(self):
        try:
            self.options = OPTIONS[self.type].model_validate(self.options).model_dump(exclude_none=True)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise ValueError(f"options{'.' + where if where else ''}: {error['msg']}") from None
        low, high = self.options.get("min"), self.options.get("max")
        if low is not None and high is not None and low > high:
            raise ValueError("options: min is larger than max")
        return self


class TableIn(Schema):
    columns: list[str] = Field(default_factory=list, max_length=200)
    filterable: list[str] = Field(default_factory=list, max_length=200)
    sortable: list[str] = Field(default_factory=list, max_length=200)
    defaultSort: str = Field("", max_length=500)
    pageSize: int = Field(30, ge=1, le=500)


class FormIn(Schema):
    order: list[str] = Field(default_factory=list, max_length=200)
    hidden: list[str] = Field(default_factory=list, max_length=200)
    widgets: dict[str, str] = Field(default_factory=dict)


class ModelIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str
    fields: list[FieldIn] = Field(default_factory=list)
    table: TableIn = Field(default_factory=TableIn)
    form: FormIn = Field(default_factory=FormIn)

    @field_validator("slug")
    @classmethod
    def js_identifier(cls, slug):
        if not SLUG.match(slug) or slug in JS_RESERVED:
            raise ValueError("must be a JavaScript identifier: a letter, then letters, digits and _ (at most 64; not a reserved word)")
        return slug


class ModelPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = None
    fields: list[FieldIn] | None = None
    table: TableIn | None = None
    form: FormIn | None = None
    renames: dict[str, str] = Field(default_factory=dict)  # {old key: new key}: values move with the key

    _slug = field_validator("slug")(ModelIn.js_identifier.__func__)


def check_definition(model: ModelIn, limits) -> dict:
    """The model as stored, after the checks pydantic cannot make alone (they need every field):
    distinct keys, defaults that fit their fields, table and form configs naming existing fields.
    A refusal is a 422 whose `fields` names the place, e.g. `fields.1.default` or `table.columns.0`."""
    problems: dict[str, str] = {}
    keys = [field.key for field in model.fields]
    if len(keys) > limits.max_fields:
        problems["fields"] = f"a model has at most {limits.max_fields} fields (datastore.max_fields)"
    for index, field in enumerate(model.fields):
        if keys.index(field.key) != index:
            problems[f"fields.{index}.key"] = f"{field.key} is already a field of this model"
        if field.default is not None:
            try:
                types.check(field.model_dump(), field.default, limits)
            except FieldError as exc:
                problems[f"fields.{index}.default"] = f"the default {exc.message} ({exc.code})"
            if field.type in ("ref", "file"):
                problems[f"fields.{index}.default"] = f"a {field.type} field takes no default"
    by_key = {field.key: field for field in model.fields}
    columns = set(by_key) | set(types.SYSTEM)
    sortable_types = ("string", "email", "url", "number", "float", "bool", "date", "datetime", "select", "ref")
    for name in ("columns", "filterable", "sortable"):
        for index, key in enumerate(getattr(model.table, name)):
            if key not in columns:
                problems[f"table.{name}.{index}"] = f"{key} is not a field of this model"
            elif name == "sortable" and key in by_key and (by_key[key].type not in sortable_types or types.multi(by_key[key].model_dump())):
                problems[f"table.{name}.{index}"] = f"{key} is a {by_key[key].type} field: not sortable"
    for index, part in enumerate(filter(None, model.table.defaultSort.split(","))):
        key = part.strip().lstrip("-+")
        if key not in columns:
            problems[f"table.defaultSort"] = f"{key} is not a field of this model"
    for name in ("order", "hidden"):
        for index, key in enumerate(getattr(model.form, name)):
            if key not in by_key:
                problems[f"form.{name}.{index}"] = f"{key} is not a field of this model"
    for key, widget in model.form.widgets.items():
        if key not in by_key:
            problems[f"form.widgets.{key}"] = f"{key} is not a field of this model"
        elif widget not in WIDGETS[by_key[key].type]:
            problems[f"form.widgets.{key}"] = f"a {by_key[key].type} field takes the widget {' | '.join(WIDGETS[by_key[key].type])}"
    if problems:
        first = next(iter(problems.items()))
        raise Refused(422, f"{first[0]}: {first[1]}", fields=problems)
    return {
        "name": model.name, "slug": model.slug,
        "fields": [field.model_dump() for field in model.fields],
        "table": model.table.model_dump(), "form": model.form.model_dump(),
    }
