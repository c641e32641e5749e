"""The plugin manager: every plugin comes in through the entry points group "m3m".

m3m's own features are entry points of the `m3m` distribution (pyproject.toml), so the kernel
names none of them; pip-installed plugins declare theirs the same way. A factory builds one
manager per app (no module-level global), so every test gets a fresh one. `plugins.blocked` in
settings names plugins not to load, built-in ones included.
"""

from __future__ import annotations

import inspect
import os
from importlib.metadata import PackageNotFoundError, entry_points, version

import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "m3m"
OWN_DISTRIBUTION = "m3m"
# A file to which every process appends the name of each hook it calls (once per process), so
# that the tests can show every hookspec is exercised, in the server and the workers too.
TRACE_ENV = "M3M_HOOK_TRACE"


def own_version() -> str:
    try:
        return version(OWN_DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0+source"


class PluginError(Exception):
    """A plugin could not be loaded; the message is one line naming it."""


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus where each plugin came from and its version, for /api/plugins."""

    def __init__(self) -> None:
        super().__init__("m3m")
        self.sources: dict[str, tuple[str, str]] = {}


def build_plugin_manager(blocked: list[str] | tuple[str, ...] = ()) -> PluginManager:
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    # m3m's own plugins first, in the order pyproject.toml lists them; installed ones after.
    points = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: not _is_own(ep))
    for ep in points:
        if ep.name in blocked:
            pm.set_blocked(ep.name)
            continue
        if pm.has_plugin(ep.name):
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:  # a broken installed plugin: one line naming it, not a traceback
            raise PluginError(
                f"plugin {ep.name} ({ep.value}, entry point group {ENTRY_POINT_GROUP}) could not be"
                f" loaded: {_one_line(exc)}; fix or uninstall it, or add it to plugins.blocked"
            ) from None
        if _is_own(ep):
            pm.sources[ep.name] = ("builtin", own_version())
        else:
            pm.sources[ep.name] = ("installed", ep.dist.version if ep.dist else "unknown")
    if os.environ.get(TRACE_ENV):
        _trace_hook_calls(pm, os.environ[TRACE_ENV])
    try:
        pm.hook.m3m_add_hookspecs(pm=pm)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:  # e.g. a misspelt hook name
        raise PluginError(f"plugin {pm.get_name(exc.plugin)}: {_one_line(exc)}") from None
    return pm


def _is_own(ep) -> bool:
    return bool(ep.dist and ep.dist.name == OWN_DISTRIBUTION)


def _trace_hook_calls(pm: PluginManager, path: str) -> None:
    seen: set[str] = set()

    def before(hook_name, hook_impls, kwargs):
        if hook_name not in seen:
            seen.add(hook_name)
            with open(path, "a") as handle:  # one short append per line: safe across processes
                handle.write(hook_name + "\n")

    pm.add_hookcall_monitoring(before, lambda outcome, hook_name, hook_impls, kwargs: None)


def hook_results(pm: PluginManager, name: str, **kwargs) -> list:
    """The results of a hook another plugin defines; none when that plugin is not loaded."""
    caller = getattr(pm.hook, name, None)
    return caller(**kwargs) if caller is not None else []


def _one_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def describe_plugins(pm: PluginManager) -> list[dict]:
    """What /api/plugins and `m3m plugins` show: name, source, version, implemented hooks."""
    rows = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda pair: pair[0]):
        if plugin is None:
            continue
        source, plugin_version = pm.sources.get(name, ("registered", "unknown"))
        hooks = sorted(impl.name for impl in pm.get_hookcallers(plugin) or ())
        rows.append({"name": name, "source": source, "version": plugin_version, "hooks": hooks})
    return rows


async def plugins_report(pm: PluginManager, settings) -> dict:
    """What the plugins add to /api/plugins and `m3m plugins` (m3m_plugins_report), merged."""
    report: dict = {}
    for result in pm.hook.m3m_plugins_report(pm=pm, settings=settings):
        report.update(await await_me_maybe(result) or {})
    return report


def app_service(key: str, factory, app=None):
    """The app's one instance of a plugin's service, made by factory(app) on first use, so that
    plugins keep no module-level state. `app` defaults to the current app (inside a request)."""
    if app is None:
        from quart import current_app

        app = current_app._get_current_object()
    if key not in app.extensions:
        app.extensions[key] = factory(app)
    return app.extensions[key]


async def await_me_maybe(value):
    """Hooks may return plain values or awaitables; this gives the value either way."""
    if inspect.isawaitable(value):
        return await value
    return value


async def first_result(results: list):
    """The first non-None of a hook's results, awaited in plugin order. A hook call returns every
    plugin's coroutine at once; those not needed (or left by an error) are closed, not leaked."""
    try:
        for result in results:
            value = await await_me_maybe(result)
            if value is not None:
                return value
        return None
    finally:
        for result in results:
            if inspect.iscoroutine(result):
                result.close()  # a no-op for the ones already awaited
