"""A `$` API is three files in a plugin's folder (docs/runtime/sdk.md): found by convention for
any plugin package, built-in or installed, with no hookimpl; blocked plugins add none."""

from __future__ import annotations

import importlib
import sys
import textwrap

from builtin_plugins.runtime.apis import make_bindings, runtime_apis, typings
from builtin_plugins.runtime.sdk import BindingContext
from kernel.plugins import build_plugin_manager


def plugin_package(root, name: str, binding: str | None) -> object:
    folder = root / name
    folder.mkdir()
    (folder / "__init__.py").write_text('"""A plugin with only a $ API."""\n')
    (folder / "prelude.js").write_text("globalThis.$probe = Object.freeze({ hi: () => kernel.call('hi') });\n")
    (folder / "typings.d.ts").write_text("declare const $probe: { hi(): string };\n")
    if binding:
        (folder / "binding.py").write_text(textwrap.dedent(binding))
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(root))


BINDING = """
    from builtin_plugins.runtime.sdk import Binding

    def binding(ctx):
        return Binding(operations={"hi": lambda: "hi " + ctx.project["slug"]}, data={"n": 1})

    async def project_typings(app, project):
        return f"interface Probe_{project['slug']} {{ n: number }}"
"""


async def test_a_plugin_folder_is_its_api(tmp_path):
    pm = build_plugin_manager()
    pm.register(plugin_package(tmp_path, "m3m_probe_api", BINDING), name="probe")
    apis = {api.plugin: api for api in runtime_apis(pm)}
    assert {"runtime", "goals", "env", "toolkit", "delayed", "schedule", "storage", "probe"} <= set(apis)
    assert list(apis)[-1] == "probe"  # registered last, its prelude runs last
    probe = apis["probe"]
    assert probe.binding_module == "m3m_probe_api.binding" and "$probe" in probe.prelude
    ctx = BindingContext(project={"id": "p", "slug": "demo"}, release="1.0", settings=None, db=None, log=print, report={})
    [binding] = [b for b in await make_bindings([probe], ctx)]
    assert (binding.name, binding.operations["hi"](), binding.data) == ("probe", "hi demo", {"n": 1})
    text = await typings(list(apis.values()), None, {"id": "p", "slug": "demo"})
    assert "declare const $probe" in text and "interface Probe_demo { n: number }" in text
    assert "declare const $storage" in text and "declare const $goals" in text


async def test_a_pure_js_api_needs_no_binding_and_a_blocked_plugin_adds_nothing(tmp_path):
    pm = build_plugin_manager(blocked=["goals"])
    pm.register(plugin_package(tmp_path, "m3m_probe_js", None), name="probe-js")
    apis = {api.plugin: api for api in runtime_apis(pm)}
    assert "goals" not in apis and apis["probe-js"].binding_module is None
    ctx = BindingContext(project={"id": "p", "slug": "demo"}, release="1.0", settings=None, db=None, log=print, report={})
    [binding] = await make_bindings([apis["probe-js"]], ctx)
    assert binding.operations == {} and binding.prelude.startswith("globalThis.$probe")
    assert "$goals" not in await typings(list(apis.values()), None, {"id": "p", "slug": "demo"})
