"""What a worker's boot costs and skips (docs/performance.md "Autostart"): the fork server
preloads no server-only module, PythonMonkey's loader answers its file checks from an index that
says what the disk says, and the runtime APIs are built once per process. Each check runs in a
fresh interpreter, as the fork server and the workers do."""

from __future__ import annotations

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
    assert not roots & {"quart", "hypercorn", "werkzeug", "pydantic", "dynaconf", "click", "rich", "pygments"}
    assert not found["httpx_main"]
    assert "pythonmonkey" not in roots  # a fork after importing it hangs (zygote.py)


def test_pythonmonkey_loads_with_file_checks_that_match_the_disk():
    found = run_python("""
import json, os, stat
from builtin_plugins.runtime.engine import monkey
asked = []
indexed = monkey._indexed_fs

def recording(loader):
    indexed(loader)
    fs = loader.bootstrap.modules.fs
    exists, stat_inner = fs.existsSync, fs.statSync_inner
    def exists_seen(path):
        answer = exists(path)
        asked.append(("exists", str(path), bool(answer)))
        return answer
    def stat_seen(path):
        answer = stat_inner(path)
        asked.append(("stat", str(path), False if answer is False else stat.S_ISDIR(answer["mode"])))
        return answer
    fs.existsSync, fs.statSync_inner = exists_seen, stat_seen

monkey._indexed_fs = recording
pm = monkey.load()
wrong = []
for kind, path, answer in asked:
    path = os.path.normpath(path)
    truth = os.path.exists(path) if kind == "exists" else os.path.exists(path) and os.path.isdir(path)
    if answer != truth:
        wrong.append([kind, path, answer, truth])
print(json.dumps({
    "asked": len(asked), "wrong": wrong[:5],
    "js": pm.eval("[typeof setTimeout, btoa('x'), new URL('http://a/b?c=1').searchParams.get('c'), typeof URLSearchParams].join()"),
}))
""")
    assert found["asked"] > 500  # core-js's URL: the index answered every one of these
    assert found["wrong"] == []
    assert found["js"] == "function,eA==,1,function"


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
