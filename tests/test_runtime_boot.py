"""What a worker's boot costs and skips (docs/performance.md "Autostart"): the fork server
preloads no server-only module, PythonMonkey's JS builtins come from one script holding the
files its loader would read, and the runtime APIs are built once per process. Each check runs in a
fresh interpreter, as the fork server and the workers do."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_fork_server_preloads_what_workers_use_and_nothing_of_the_server():
    found = run_python("""
import json, sys
from builtin_plugins.runtime.engine import zygote
zygote.preload()
roots = {name.split(".")[0] for name, module in sys.modules.items() if module is not None}
print(json.dumps({"roots": sorted(roots), "httpx_main": "httpx._main" in sys.modules and sys.modules["httpx._main"] is not None}))
""")
    roots = set(found["roots"])
    assert {"pymongo", "httpx", "PIL", "apscheduler", "builtin_plugins"} <= roots  # shared with every worker
    # The server's web stack, its settings loader, and what only a command line needs: each is
    # megabytes of every worker's RSS (werkzeug.exceptions alone ~6 MB, httpx's CLI ~7 MB).
    assert not roots & {"quart", "uvicorn", "hypercorn", "werkzeug", "pydantic", "dynaconf", "click", "rich", "pygments"}
    assert not found["httpx_main"]
    assert "pythonmonkey" not in roots  # a fork after importing it hangs (zygote.py)


BUILTINS_CHECK_JS = """async () => {
  const order = [];
  setTimeout(() => order.push('timeout'), 5);
  setImmediate(() => order.push('immediate'));
  const cleared = setTimeout(() => order.push('cleared'), 1);
  clearTimeout(cleared);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const url = new URL('http://user@a.example:81/b/../c?q=1&q=2#h');
  const error = new DOMException('gone', 'AbortError');
  return [order.join('>'), url.href, url.searchParams.getAll('q').join(), new URLSearchParams({x: 'a b'}).toString(),
    error.name, error.code, error instanceof Error, btoa('x'), atob('eA==')].join('|');
}"""


def test_pythonmonkey_builtins_come_from_one_script_holding_what_its_loader_reads():
    found = run_python(f"""
import asyncio, json, os, re, sys
from builtin_plugins.runtime.engine import monkey
pm = monkey.load()
script = monkey._prepared[0]
async def check():
    return await pm.eval({BUILTINS_CHECK_JS!r})()
answer = asyncio.run(check())
# What PythonMonkey's own loader reads for the same builtins (its module cache is its own).
loader = sys.modules["pythonmonkey.require"]
fs = loader.bootstrap.modules.fs
read, original = [], fs.readFileSync
def recording(filename, *rest):
    read.append(str(filename))
    return original(filename, *rest)
fs.readFileSync = recording
require = loader.createRequire(pm.__file__)
for name in monkey.BUNDLED:
    require(name)
root = os.path.dirname(pm.__file__) + os.sep
print(json.dumps({{
    "answer": answer, "version": pm.__version__,
    "bundled": sorted(re.findall(r'^"([^"]+)": \\[function', script, re.M)),
    "read": sorted(os.path.relpath(path, root) for path in read if path.startswith(root)),
}}))
""")
    assert found["answer"] == "immediate>timeout|http://user@a.example:81/c?q=1&q=2#h|1,2|x=a+b|AbortError|20|true|eA==|x"
    assert found["version"] == importlib.metadata.version("pythonmonkey")
    assert len(found["read"]) > 100  # core-js's URL and DOMException
    assert set(found["read"]) <= set(found["bundled"])


def test_the_runtime_apis_are_built_once_per_process_and_leave_blocked_plugins_out():
    found = run_python("""
import json
from builtin_plugins.runtime.apis import process_apis
first, again = process_apis(()), process_apis([])
without = process_apis(["goals"])
print(json.dumps({"same": first is again, "all": [api.plugin for api in first], "without": [api.plugin for api in without]}))
""")
    assert found["same"]
    assert "goals" in found["all"] and "runtime" in found["all"]
    assert found["without"] == [name for name in found["all"] if name != "goals"]
