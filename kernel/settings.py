"""Settings: settings.toml defaults, an optional user file, then M3M_* environment variables.

dynaconf does the layering (M3M_SERVER__PORT=3100 overrides [server] port); pydantic checks the
result, so a missing or malformed key stops start-up with one line naming the key.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from dynaconf import Dynaconf
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from .units import parse_duration, parse_size

DEFAULTS_FILE = Path(__file__).resolve().parent.parent / "settings.toml"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line meant for the terminal."""


def _no_bool(value: Any) -> Any:
    # bool is an int to pydantic: without this M3M_SERVER__PORT=true would become port 1.
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    return value


Int = Annotated[int, BeforeValidator(_no_bool)]
Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
Size = Annotated[int, BeforeValidator(parse_size), Field(gt=0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerSettings(_Section):
    host: str
    port: Int = Field(ge=0, le=65535)
    uri: str
    content_uri: str  # projects' pages and uploaded files on an origin of their own; empty: uri
    max_body: Size
    max_head: Size  # the request line and headers together; more is a 431 (kernel/http_server.py)
    head_timeout: Duration  # a request's head not all there this long after it began: 408, closed
    trusted_proxies: list[str]

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, entries):
        from .proxies import networks

        networks(entries)  # a typo stops start-up, with the entry named
        return entries

    @field_validator("content_uri")
    @classmethod
    def _an_origin(cls, value: str) -> str:
        from .content import origin_parts

        if value:
            origin_parts(value)  # a path, a query or another scheme stops start-up, named
        return value.rstrip("/")

    @model_validator(mode="after")
    def _derive_uri(self):
        # An empty uri follows host and port, so M3M_SERVER__PORT=3100 alone moves it too.
        if not self.uri:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
            self.uri = f"http://{host}:{self.port}"
        self.uri = self.uri.rstrip("/")
        if not self.content_uri:  # empty: they are served where the UI is, as uri says
            self.content_uri = self.uri
        else:
            from .content import origin_parts

            if origin_parts(self.content_uri) == origin_parts(self.uri, path=True):
                raise ValueError("content_uri must be another origin than uri (another host name or port)")
        return self

    @property
    def content_apart(self) -> bool:
        """Whether projects' pages and files have an origin of their own (content_uri was set)."""
        return self.content_uri != self.uri


class MongoSettings(_Section):
    uri: str = Field(pattern=r"^(embedded|mongodb(\+srv)?://.+)$")
    database: str = Field(pattern=r"^[A-Za-z0-9_-]{1,63}$")
    timeout: Duration


class StorageSettings(_Section):
    path: Path


class PluginSettings(_Section):
    blocked: list[str]


class Section(BaseModel):
    """Base of a plugin's settings section (m3m_settings): unknown keys are refused, so a typo
    stops start-up instead of being ignored; give every key a default."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class Settings(_Section):
    """The kernel's sections, and as attributes every section the plugins declare
    (settings.<section>.<key>); a section nobody declares stays a plain dict."""

    model_config = ConfigDict(extra="allow")

    server: ServerSettings
    mongodb: MongoSettings
    storage: StorageSettings
    plugins: PluginSettings

    source_file: Path | None = None


def load_settings(settings_file: str | os.PathLike | None = None, **overrides: Any) -> Settings:
    """Read the defaults, the user file (argument or M3M_SETTINGS), the environment, then overrides;
    check the kernel's sections, then each section a loaded plugin declares (m3m_settings).

    `overrides` take section dicts, e.g. load_settings(mongodb={"database": "x"}); tests use them.
    A plugin that cannot be loaded raises kernel.plugins.PluginError.
    """
    from .plugins import build_plugin_manager

    settings_file = settings_file or os.environ.get("M3M_SETTINGS") or None
    data = _read(settings_file, overrides)
    kernel_keys = set(Settings.model_fields)
    try:
        settings = Settings.model_validate({key: value for key, value in data.items() if key in kernel_keys})
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    pm = build_plugin_manager(settings.plugins.blocked)
    for section, model in declared_sections(pm).items():
        try:
            data[section] = model.model_validate(data.get(section) or {})
        except ValidationError as exc:
            raise SettingsError(_describe(exc, section)) from None
    for key, value in data.items():
        if key not in kernel_keys:
            setattr(settings, key, value)
    return settings


def declared_sections(pm) -> dict[str, type[BaseModel]]:
    """section -> model, from every plugin's m3m_settings; two plugins may not declare one section."""
    sections: dict[str, type[BaseModel]] = {}
    for declared in reversed(pm.hook.m3m_settings()):  # pluggy answers the last registered first
        for section, model in (declared or {}).items():
            if section in sections or section in Settings.model_fields:
                raise SettingsError(f"settings section [{section}] is declared by two plugins")
            sections[section] = model
    return sections


def _read(settings_file, overrides: dict) -> dict:
    """The layered raw settings: {section: {key: value}} with lower-case keys."""
    files = [str(DEFAULTS_FILE)]
    if settings_file:
        path = Path(settings_file)
        _check_file(path)
        files.append(str(path.resolve()))
    try:
        raw = Dynaconf(
            envvar_prefix="M3M",
            settings_files=files,
            merge_enabled=True,
            environments=False,
            load_dotenv=False,
        )
        data = {key.lower(): value for key, value in raw.as_dict().items()}
    except Exception as exc:  # dynaconf raises TOML parser errors of several types
        raise SettingsError(f"settings could not be read: {_one_line(exc)}") from None
    for own in ("settings", "load_dotenv"):  # dynaconf's own keys, not sections
        data.pop(own, None)
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    data = {key: _lower_keys(value) for key, value in data.items()}
    data["source_file"] = Path(settings_file).resolve() if settings_file else None
    return data


def _check_file(path: Path) -> None:
    """The user's file exists, is readable and is TOML; else one line naming the file.

    dynaconf's own parse errors do not say which file they come from, so read it here first.
    """
    if path.is_dir():
        raise SettingsError(f"settings file {path} is a directory, not a TOML file")
    if not path.exists():
        raise SettingsError(f"settings file not found: {path}")
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise SettingsError(f"settings file {path} cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(f"settings file {path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {_one_line(exc)}") from None


def _lower_keys(value: Any) -> Any:
    # dynaconf keeps the case of env overrides (M3M_SERVER__PORT -> PORT); our keys are lower case.
    if isinstance(value, dict):
        return {str(k).lower(): v for k, v in value.items()}
    return value


def _describe(exc: ValidationError, section: str | None = None) -> str:
    error = exc.errors()[0]
    key = ".".join(str(part) for part in ((section,) if section else ()) + tuple(error["loc"]))
    if error["type"] == "missing":
        return f"setting {key} is missing"
    if error["type"] == "extra_forbidden":
        return f"setting {key} is unknown"
    reason = error["msg"].removeprefix("Value error, ")
    return f"setting {key} is invalid: {reason} (got {error.get('input')!r})"


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
