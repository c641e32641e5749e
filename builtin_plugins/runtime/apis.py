"""Every `$` API, found by convention beside each plugin's module (docs/runtime/sdk.md): a
plugin package with `prelude.js` and `typings.d.ts`, and `binding.py` when the prelude needs the
host. No hook is involved: the files are the declaration."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from kernel.plugins import PluginManager, await_me_maybe

from .sdk import Binding, BindingContext

PRELUDE = "prelude.js"
TYPINGS = "typings.d.ts"
HOST = "binding.py"


@dataclass(frozen=True)
class RuntimeApi:
    """One plugin's `$` API: its JS, its declarations, and the module of its host operations."""

    plugin: str
    prelude: str
    typings: str
    binding_module: str | None


def runtime_apis(pm: PluginManager) -> list[RuntimeApi]:
    """The APIs of the loaded plugins, in the order they were registered (their preludes run in it)."""
    apis = []
    for name, plugin in pm.list_name_plugin():
        path = getattr(plugin, "__file__", None)
        if plugin is None or not path or Path(path).name != "__init__.py":
            continue  # blocked, or a plugin that is not a package: it has no folder to look in
        folder = Path(path).parent
        if not (folder / PRELUDE).is_file():
            continue
        typings = folder / TYPINGS
        apis.append(
            RuntimeApi(
                plugin=name,
                prelude=(folder / PRELUDE).read_text(),
                typings=typings.read_text() if typings.is_file() else "",
                binding_module=f"{plugin.__name__}.binding" if (folder / HOST).is_file() else None,
            )
        )
    return apis


_BUILT: dict[tuple[str, ...], list[RuntimeApi]] = {}


def process_apis(blocked=()) -> list[RuntimeApi]:
    """The APIs for a worker, built once per process with their binding modules imported. The
    fork server builds them before it forks, so no worker pays for the plugin manager's scan of
    every installed distribution's entry points (~45 ms of CPU, three times per boot before)."""
    key = tuple(blocked)
    if key not in _BUILT:
        from kernel.plugins import build_plugin_manager

        apis = runtime_apis(build_plugin_manager(key))
        import_bindings(apis)
        _BUILT[key] = apis
    return _BUILT[key]


def import_bindings(apis: list[RuntimeApi]) -> None:
    """Import every binding module now (a spare worker pays for them before its boot)."""
    for api in apis:
        if api.binding_module:
            importlib.import_module(api.binding_module)


async def make_bindings(apis: list[RuntimeApi], ctx: BindingContext) -> list[Binding]:
    """One Binding per API for the service in `ctx`; a `binding(ctx)` that answers None adds nothing."""
    bindings = []
    for api in apis:
        binding = Binding()
        if api.binding_module:
            binding = await await_me_maybe(importlib.import_module(api.binding_module).binding(ctx))
            if binding is None:
                continue
        binding.name, binding.prelude = api.plugin, api.prelude
        bindings.append(binding)
    return bindings


async def typings(apis: list[RuntimeApi], app, project: dict) -> str:
    """The declarations of every API for the editor, for `project`: each plugin's typings.d.ts,
    then what its binding module's optional `project_typings(app, project)` (may be async) adds
    for that project (e.g. one interface per data model)."""
    parts = []
    for api in apis:
        if api.typings:
            parts.append(api.typings)
        if api.binding_module:
            extra = getattr(importlib.import_module(api.binding_module), "project_typings", None)
            if extra is not None:
                text = await await_me_maybe(extra(app, project))
                if text:
                    parts.append(text)
    return "\n".join(parts)
