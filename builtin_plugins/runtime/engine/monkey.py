"""PythonMonkey, imported without the two builtin modules the sandbox would throw away.

`import pythonmonkey` evaluates five JS builtin modules; two of them the sandbox drops at once:
`XMLHttpRequest` (deleted as an escape: it reaches Python's aiohttp) and `console` (replaced by
the runtime's own). Skipping them cuts the import from ~0.22 to ~0.13 CPU-seconds, a quarter of
a worker's whole boot, and aiohttp is never imported (bench/boot_cpu.py, docs/performance.md).

The package's `__init__.py` is run with those two `require(...)` lines left out. This relies on
PythonMonkey 1.4.1's file (pinned in pyproject.toml); if the lines are not found as expected,
the package is imported as it is, so a new version costs speed, never correctness.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SKIPPED = ('require("XMLHttpRequest")\n', 'require("console")\n')


def load():
    """The `pythonmonkey` module (imported once per process)."""
    if "pythonmonkey" in sys.modules:
        return sys.modules["pythonmonkey"]
    spec = importlib.util.find_spec("pythonmonkey")
    source = Path(spec.origin).read_text() if spec and spec.origin else ""
    trimmed = source
    for line in SKIPPED:
        trimmed = trimmed.replace(line, "")
    if len(trimmed) != len(source) - sum(map(len, SKIPPED)):
        import pythonmonkey  # not the file we know: the plain import

        return pythonmonkey
    module = importlib.util.module_from_spec(spec)
    sys.modules["pythonmonkey"] = module
    try:
        exec(compile(trimmed, spec.origin, "exec"), module.__dict__)
    except BaseException:
        del sys.modules["pythonmonkey"]
        raise
    return module
