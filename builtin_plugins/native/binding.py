"""Host side of the native plugins in a worker: the libraries of the plugins folder loaded with
cffi (library.py) when the project may use them ([native] projects), each function called in a
thread off the event loop, its result parsed from JSON. A library that cannot be used is left
out with a line in the run log saying why; one that crashes in a call takes this worker down, and
the supervisor's crash report names it (library._entry). The typings come from the server's
inspection of the same folder (catalogue.py)."""

from __future__ import annotations

import asyncio
import faulthandler
import json
from concurrent.futures import ThreadPoolExecutor

from builtin_plugins.runtime.sdk import Binding
from kernel.errors import Refused

from . import catalogue
from .library import Broken, Library

PARALLEL_CALLS = 4  # threads of a plugin whose manifest says thread_safe; else one


def binding(ctx) -> Binding:
    if not catalogue.allowed(ctx.settings, ctx.project):
        return Binding(data={"plugins": []})
    taken = catalogue.taken_names(ctx.apis)
    rows, loaded = [], {}
    for path in catalogue.libraries(catalogue.folder_of(ctx.settings)):
        try:
            library = Library(path)
        except Broken as exc:
            ctx.log("WARN", f"[native] {path.name} is not loaded: {exc}")
            continue
        rows.append({"file": path.name, "status": "loaded", "name": library.name, "library": library})
    for row in catalogue.usable(rows, taken):
        if row["status"] == "broken":
            ctx.log("WARN", f"[native] {row['file']} is not loaded: {row['reason']}")
            continue
        library = row["library"]
        threads = PARALLEL_CALLS if library.manifest.get("thread_safe") is True else 1
        loaded[library.name] = (library, ThreadPoolExecutor(threads, thread_name_prefix=f"native-{library.name}"))
    if loaded:
        # A segfault or abort() in a call then prints the Python stack of the calling thread on
        # stderr, whose innermost frame names the plugin and function; the supervisor reports it.
        faulthandler.enable(all_threads=False)

    async def call(name, function, args) -> object:
        if name not in loaded:
            raise Refused(404, f"no native plugin {name!r} is loaded")
        library, threads = loaded[name]
        if not isinstance(function, str) or function not in library.entries:
            raise Refused(404, f"the native plugin {name} has no function {function!r}")
        if not isinstance(args, list):
            raise TypeError("the arguments of a native call are an array")
        ok, text = await asyncio.get_running_loop().run_in_executor(threads, library.call, function, json.dumps(args))
        if not ok:
            raise Refused(422, f"{name}.{function}: {text or 'failed (the plugin gave no message)'}", code="plugin_error")
        try:
            return json.loads(text or "")
        except ValueError:
            raise Refused(502, f"{name}.{function} answered text that is not JSON: {(text or '')[:80]!r}", code="plugin_error") from None

    return Binding(
        operations={"call": call},
        data={"plugins": [{"name": name, "functions": sorted(library.entries)} for name, (library, _) in loaded.items()]},
    )


async def project_typings(app, project) -> str:
    if app is None or not catalogue.allowed(app.m3m.settings, project):  # no app: no server settings to read
        return ""
    from builtin_plugins.runtime.apis import runtime_apis

    return catalogue.typings(await catalogue.scan(app.m3m.settings, runtime_apis(app.m3m.pm)))
