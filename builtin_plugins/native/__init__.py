"""Native plugins: `*.so` libraries in the plugins folder ([native] path) with the C ABI of
native_plugins/include/m3m_plugin.h, each a `$<name>` API in the services allowed to use them;
listed with their manifests (or why they are broken) in GET /api/plugins and `m3m plugins`.
docs/plugins.md, "Native plugins"."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import NativeSettings

    return {"native": NativeSettings}


@hookimpl
async def m3m_plugins_report(pm, settings):
    from builtin_plugins.runtime.apis import runtime_apis

    from .catalogue import scan

    return {"native": await scan(settings, runtime_apis(pm))}


@hookimpl
async def m3m_startup(app):
    """Inspect the folder once at start: a broken library is in the server log from the start."""
    from builtin_plugins.runtime.apis import runtime_apis

    from .catalogue import scan

    await scan(app.m3m.settings, runtime_apis(app.m3m.pm))
