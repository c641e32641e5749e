"""The plugin manager: built-in plugins, then pip-installed ones (entry points group "m3m").

A factory builds one per app (no module-level global), so every test gets a fresh one.
`plugins.blocked` in settings names plugins not to load, built-in ones included.
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import PackageNotFoundError, entry_points, version

import pluggy

from . import hookspecs

# Every feature is one of these packages; the kernel itself knows none of them.
BUILTIN_PLUGINS = ("builtin_plugins.auth",)

ENTRY_POINT_GROUP = "m3m"


def own_version() -> str:
    try:
        return version("m3m")
    except PackageNotFoundError:
        return "0.0.0+source"


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus where each plugin came from and its version, for /api/plugins."""

    def __init__(self) -> None:
        super().__init__("m3m")
        self.sources: dict[str, tuple[str, str]] = {}


def build_plugin_manager(blocked: list[str] | tuple[str, ...] = ()) -> PluginManager:
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    for dotted in BUILTIN_PLUGINS:
        name = dotted.rsplit(".", 1)[-1]
        if name in blocked:
            pm.set_blocked(name)
            continue
        module = importlib.import_module(dotted)
        pm.register(module, name=name)
        pm.sources[name] = ("builtin", own_version())
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in blocked:
            pm.set_blocked(ep.name)
            continue
        if pm.has_plugin(ep.name):
            continue
        pm.register(ep.load(), name=ep.name)
        pm.sources[ep.name] = ("installed", ep.dist.version if ep.dist else "unknown")
    pm.check_pending()
    return pm


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


async def await_me_maybe(value):
    """Hooks may return plain values or awaitables; this gives the value either way."""
    if inspect.isawaitable(value):
        return await value
    return value
