"""PythonMonkey, imported with less work than its own `import pythonmonkey` does.

`import pythonmonkey` evaluates five JS builtin modules, each through its CommonJS loader
(ctx-module, with Python file functions under it). Here:
- two are skipped, as the sandbox would throw them away at once: `XMLHttpRequest` (deleted as an
  escape: it reaches Python's aiohttp) and `console` (replaced by the runtime's own);
- `timers` and `url` (with core-js's `DOMException`, `URL` and `URLSearchParams`: 151 files)
  are evaluated as ONE script, `bundle()`: the same files, each wrapped as the CommonJS function
  the loader would make, with its `require` ids resolved ahead. The loader spent ~0.13
  CPU-seconds a worker on resolving, reading and wrapping them; the script runs in ~0.02. The
  fork server makes it (`prepare()`), so a forked worker only evaluates it;
- `base64` (a Python module) still goes through the loader: one require function, made once;
- the package's `importlib.metadata.version()` call (~0.035 CPU-seconds with its import) is
  answered with the version the fork server read.

The package's `__init__.py` is run with those lines replaced. This relies on PythonMonkey
1.4.1's files (pinned in pyproject.toml); if the lines are not found as expected, or a builtin
requires what the bundle cannot resolve, the package is imported as it is: a new version costs
speed, never correctness.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

SKIPPED = ("XMLHttpRequest", "console")
BUNDLED = ("timers", "url")  # in the order the package requires them
REQUIRED = ("base64",)  # a Python module: through the loader
EXTERNAL = ("internal-binding",)  # a Python module of the package's, handed in by the host
VERSION_LINE = "__version__ = importlib.metadata.version(__name__)\n"

# A static `require('id')`. A match inside a comment or a string only adds a module that is never
# run; a dynamic require would not match and throws "not bundled" when run (none in these files).
REQUIRE_CALL = re.compile(r"""\brequire\(\s*(['"])([^'"]+)\1\s*\)""")

_prepared: tuple[str, str] | None = None  # (the bundle's source, the package's version)


class NotBundled(Exception):
    pass


def _root() -> str:
    spec = importlib.util.find_spec("pythonmonkey")
    if spec is None or not spec.origin:
        raise NotBundled("pythonmonkey is not installed")
    return os.path.dirname(spec.origin)


def _as_file(base: str) -> str | None:
    """Node's rule for a path: the file, with `.js`, a folder's `index.js`, or its package's main;
    `.py` before `.js`, as PythonMonkey's loader tries it first (a Python module is then found,
    and `_resolve` refuses it)."""
    for candidate in (base, base + ".py", base + ".js", os.path.join(base, "index.js")):
        if os.path.isfile(candidate):
            return candidate
    package = os.path.join(base, "package.json")
    if os.path.isfile(package):
        main = json.loads(Path(package).read_text()).get("main")
        if main:
            return _as_file(os.path.normpath(os.path.join(base, main)))
    return None


def _resolve(root: str, name: str, importer: str) -> str:
    if name.startswith(("./", "../", "/")):
        found = _as_file(os.path.normpath(os.path.join(os.path.dirname(importer), name)))
    else:  # the loader's search order for a bare id: the package's builtins, then its node_modules
        found = _as_file(os.path.join(root, "builtin_modules", name)) or _as_file(os.path.join(root, "node_modules", name))
    if found is None or not found.endswith(".js"):
        raise NotBundled(f"{name!r} (required by {importer}) is not a JS file")
    return found


def bundle() -> str:
    """The JS builtins of `BUNDLED` and what they require, as one script: `(internalBinding) => {}`."""
    root = _root()
    modules: dict[str, tuple[str, dict[str, str]]] = {}
    pending = [os.path.join(root, "builtin_modules", name + ".js") for name in BUNDLED]
    while pending:
        path = pending.pop()
        key = os.path.relpath(path, root)
        if key in modules:
            continue
        source = Path(path).read_text()
        requires = {}
        for _, name in REQUIRE_CALL.findall(source):
            if name in EXTERNAL:
                requires[name] = "!" + name
            else:
                found = _resolve(root, name, path)
                requires[name] = os.path.relpath(found, root)
                pending.append(found)
        modules[key] = (source, requires)
    definitions = ",\n".join(
        f"{json.dumps(key)}: [function (exports, require, module, __filename, __dirname) {{\n{source}\n}}, {json.dumps(requires)}]"
        for key, (source, requires) in modules.items()
    )
    entries = "".join(f"load({json.dumps(f'builtin_modules/{name}.js')});\n" for name in BUNDLED)
    return f"""(function (internalBinding) {{
const modules = {{
{definitions}
}};
const loaded = {{"!internal-binding": {{exports: internalBinding}}}};
function load(key) {{
  if (key in loaded) return loaded[key].exports;
  const [body, requires] = modules[key];
  const module = loaded[key] = {{exports: {{}}}};
  const require = (name) => {{
    if (!(name in requires)) throw new Error(`not bundled: ${{name}} (required by ${{key}})`);
    return load(requires[name]);
  }};
  body.call(module.exports, module.exports, require, module, key, key.slice(0, key.lastIndexOf("/")));
  return module.exports;
}}
{entries}}})"""


def prepare() -> None:
    """Read what `load` needs from the disk (without importing PythonMonkey: the fork server calls
    this before it forks, so every worker shares the result)."""
    global _prepared
    if _prepared is not None:
        return
    import importlib.metadata

    try:
        _prepared = (bundle(), importlib.metadata.version("pythonmonkey"))
    except (NotBundled, OSError, UnicodeDecodeError, importlib.metadata.PackageNotFoundError):
        _prepared = ("", "")


def load():
    """The `pythonmonkey` module (imported once per process)."""
    if "pythonmonkey" in sys.modules:
        return sys.modules["pythonmonkey"]
    prepare()
    script, version = _prepared
    spec = importlib.util.find_spec("pythonmonkey")
    source = Path(spec.origin).read_text() if spec and spec.origin else ""
    lines = [f'require("{name}")\n' for name in (*SKIPPED, *BUNDLED, *REQUIRED)] + [VERSION_LINE]
    trimmed = source
    for line in lines:
        trimmed = trimmed.replace(line, "")
    if not script or len(trimmed) != len(source) - sum(map(len, lines)):
        import pythonmonkey  # not the files we know: the plain import

        return pythonmonkey
    module = importlib.util.module_from_spec(spec)
    sys.modules["pythonmonkey"] = module
    try:
        exec(compile(trimmed, spec.origin, "exec"), module.__dict__)
        module.__version__ = version
        require = sys.modules["pythonmonkey.require"].createRequire(spec.origin)
        for name in REQUIRED:
            require(name)
        module.eval(script, {"filename": "pythonmonkey-builtins.js"})(module.internalBinding)
    except BaseException:
        del sys.modules["pythonmonkey"]
        raise
    return module
