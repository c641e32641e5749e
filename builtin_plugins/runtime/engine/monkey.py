"""PythonMonkey, imported with less work than its own `import pythonmonkey` does.

`import pythonmonkey` evaluates five JS builtin modules, each through `require()`. Here:
- two are skipped, as the sandbox would throw them away at once: `XMLHttpRequest` (deleted as an
  escape: it reaches Python's aiohttp) and `console` (replaced by the runtime's own);
- the other three (`base64`, `timers`, `url`) are required through one require function made
  once, where PythonMonkey's `require()` makes a new one for each call and reads the caller's
  file name off `inspect.stack()` (which reads the source of every frame);
- while they load (`url` is core-js: ~150 files, ~1,900 existence checks), the loader's
  `existsSync`/`statSync` answer for the package's own folder from an index of its files made
  once (`index_files`, called by the fork server before it forks), not from the disk.
Together a worker's import went from ~0.32 to ~0.21 CPU-seconds (docs/performance.md).

The package's `__init__.py` is run with its `require(...)` lines left out. This relies on
PythonMonkey 1.4.1's file (pinned in pyproject.toml); if the lines are not found as expected,
the package is imported as it is, so a new version costs speed, never correctness.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path

SKIPPED = ("XMLHttpRequest", "console")
REQUIRED = ("base64", "timers", "url")  # in the order the package requires them
_index: tuple[str, frozenset, frozenset] | None = None  # (package folder, its files, its folders)


def _line(name: str) -> str:
    return f'require("{name}")\n'


def index_files() -> None:
    """Index the package's files (without importing it: the fork server may call this)."""
    global _index
    spec = importlib.util.find_spec("pythonmonkey")
    if _index is not None or spec is None or not spec.origin:
        return
    root = os.path.dirname(spec.origin)
    files, folders = set(), set()
    for folder, _, names in os.walk(root):
        folders.add(folder)
        files.update(os.path.join(folder, name) for name in names)
    _index = (root, frozenset(files), frozenset(folders))


def _indexed_fs(loader) -> None:
    """The loader's file checks answered from the index inside the package, from the disk outside."""
    index_files()
    root, files, folders = _index
    inside = root + os.sep
    original_stat = loader.statSync_inner

    def exists(filename: str) -> bool:
        filename = os.path.normpath(filename)
        if filename.startswith(inside) or filename == root:
            return filename in files or filename in folders
        return os.path.exists(filename)

    def stat_inner(filename: str):
        filename = os.path.normpath(filename)
        if not (filename.startswith(inside) or filename == root):
            return original_stat(filename)
        if filename in folders:
            return {"mode": stat.S_IFDIR | 0o755}
        return {"mode": stat.S_IFREG | 0o644} if filename in files else False

    loader.bootstrap.modules.fs.existsSync = exists
    loader.bootstrap.modules.fs.statSync_inner = stat_inner


def load():
    """The `pythonmonkey` module (imported once per process)."""
    if "pythonmonkey" in sys.modules:
        return sys.modules["pythonmonkey"]
    spec = importlib.util.find_spec("pythonmonkey")
    source = Path(spec.origin).read_text() if spec and spec.origin else ""
    lines = [_line(name) for name in (*SKIPPED, *REQUIRED)]
    trimmed = source
    for line in lines:
        trimmed = trimmed.replace(line, "")
    if len(trimmed) != len(source) - sum(map(len, lines)):
        import pythonmonkey  # not the file we know: the plain import

        return pythonmonkey
    module = importlib.util.module_from_spec(spec)
    sys.modules["pythonmonkey"] = module
    try:
        exec(compile(trimmed, spec.origin, "exec"), module.__dict__)
        loader = sys.modules["pythonmonkey.require"]
        _indexed_fs(loader)
        require = loader.createRequire(spec.origin)  # what `require` in the package's file resolves from
        for name in REQUIRED:
            require(name)
    except BaseException:
        del sys.modules["pythonmonkey"]
        raise
    return module
