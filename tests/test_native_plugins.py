"""Native `.so` plugins, built here with gcc from native_plugins/ and from broken sources written
by the test: loaded by real workers and called from service code, listed in /api/plugins and
`m3m plugins` with their manifests, typed in the typings of the projects allowed them; broken
libraries skipped with the reason; a segfault or abort() inside a call kills only that
service's worker, and the supervisor's crash report names the plugin and restarts it."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, Server, free_port, login, run_m3m, server_env
from runtime_support import new_service, tsc, wait_until

INCLUDE = ROOT / "native_plugins" / "include"
EXAMPLES = ROOT / "native_plugins" / "examples"

# One source, varied into each way a library can be wrong.
BROKEN_SOURCE = """
#include "m3m_plugin.h"
int m3m_plugin_abi_version(void) { return ABI; }
const char *m3m_plugin_manifest(void) { return MANIFEST; }
#ifndef NO_CALL
int m3m_plugin_call(const char *n, const char *j, char **o) { (void)n; (void)j; *o = 0; return 1; }
#endif
void m3m_plugin_free(void *p) { (void)p; }
"""
GOOD_MANIFEST = '"{\\"name\\": \\"NAME\\", \\"version\\": \\"1\\", \\"functions\\": [{\\"name\\": \\"f\\"}]}"'
BROKEN = {
    # file: (defines, what the reason says)
    "nocall.so": (["-DNO_CALL", "-DABI=1", f"-DMANIFEST={GOOD_MANIFEST.replace('NAME', 'nocall')}"], "does not export m3m_plugin_call"),
    "oldabi.so": (["-DABI=99", f"-DMANIFEST={GOOD_MANIFEST.replace('NAME', 'oldabi')}"], "built for ABI version 99"),
    "badjson.so": (["-DABI=1", '-DMANIFEST="{not json"'], "manifest is not JSON"),
    "taken.so": (["-DABI=1", f"-DMANIFEST={GOOD_MANIFEST.replace('NAME', 'storage')}"], "$storage is a built-in API"),
}


def gcc(source: Path, target: Path, *flags: str) -> None:
    if shutil.which("gcc") is None:
        pytest.fail("the native plugin tests need gcc")
    result = subprocess.run(["gcc", "-shared", "-fPIC", "-O1", f"-I{INCLUDE}", *flags, "-o", str(target), str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("plugins")
    for name in ("strdist", "crashy"):
        gcc(EXAMPLES / f"{name}.c", folder / f"{name}.so")
    source = folder / "broken.c"
    source.write_text(BROKEN_SOURCE)
    for file, (flags, _) in BROKEN.items():
        gcc(source, folder / file, *flags)
    shutil.copy(folder / "strdist.so", folder / "zz-strdist-again.so")  # the same name twice
    (folder / "notelf.so").write_text("this is not an ELF file\n")
    return folder


ALLOWED = f"native-{secrets.token_hex(3)}"


@pytest.fixture(scope="module")
def native(mongo_uri, tmp_path_factory, plugins_dir, users):
    root = tmp_path_factory.mktemp("native-server")
    env = server_env(root / "storage", free_port(), mongo_uri, M3M_NATIVE__PATH=str(plugins_dir), M3M_NATIVE__PROJECTS=f'["{ALLOWED}"]',
                     M3M_RUNTIME__RESTART_BACKOFF="0.2s")
    server = Server(env, root).wait_ready()
    owner = users.make(createProjects=True)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield server, http, login(http, owner["email"], owner["password"]), env, root
    server.stop()


SERVICE = """
const fail = (e) => ({ error: { message: e.message, code: e.code || null, name: e.name } });
$router.post('/call', async (ctx) => {
  try {
    const api = globalThis['$' + ctx.body.plugin];
    if (api === undefined) { return { missing: true }; }
    return { value: await api[ctx.body.fn](...ctx.body.args) };
  } catch (e) { return fail(e); }
});
$router.get('/ticks-while-sleeping', async () => {
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, 50);
  await $crashy.sleep(800);
  clearInterval(timer);
  return { ticks };
});
$router.get('/quick', () => ({ quick: true }));
"""


def deploy(http, headers, slug: str):
    response = http.post("/api/projects", json={"name": slug, "slug": slug}, headers=headers)
    assert response.status_code == 201, response.text
    from runtime_support import Deployed

    deployed = Deployed(http, headers, response.json())
    deployed.deploy(SERVICE)
    return deployed


@pytest.fixture(scope="module")
def services(native):
    _, http, headers, _, _ = native
    allowed = deploy(http, headers, ALLOWED)
    other = deploy(http, headers, f"plain-{secrets.token_hex(3)}")
    yield allowed, other
    allowed.stop()
    other.stop()


def call(service, plugin: str, fn: str, *args):
    response = service.client.post(service.bot("/call"), json={"plugin": plugin, "fn": fn, "args": list(args)}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_listed_with_manifests_and_broken_ones_with_the_reason(native, plugins_dir):
    server, http, headers, env, root = native
    rows = {row["file"]: row for row in http.get("/api/plugins", headers=headers).json()["native"]}
    assert set(rows) == {"strdist.so", "crashy.so", "zz-strdist-again.so", "notelf.so", *BROKEN}
    strdist = rows["strdist.so"]
    assert strdist["status"] == "loaded" and strdist["name"] == "strdist" and strdist["version"] == "1.0.0"
    assert [f["name"] for f in strdist["manifest"]["functions"]] == ["levenshtein", "similarity"]
    assert strdist["manifest"]["functions"][0]["typescript"] == "levenshtein(a: string, b: string): Promise<number>;"
    for file, (_, reason) in BROKEN.items():
        assert rows[file]["status"] == "broken" and reason in rows[file]["reason"], rows[file]
    assert "cannot be loaded" in rows["notelf.so"]["reason"] and "taken by strdist.so" in rows["zz-strdist-again.so"]["reason"]
    assert "native plugin" in server.output() and "does not export m3m_plugin_call" in server.output()  # the server log
    listed = run_m3m("plugins", env=env, cwd=root)
    assert listed.returncode == 0, listed.stderr
    assert "native:" in listed.stdout and "levenshtein, similarity" in listed.stdout
    assert "built for ABI version 99" in listed.stdout and "broken" in listed.stdout


def test_called_from_a_service_with_json_in_and_out(services):
    allowed, _ = services
    assert call(allowed, "strdist", "levenshtein", "kitten", "sitting") == {"value": 3}
    assert call(allowed, "strdist", "levenshtein", "ёжик", "ежик") == {"value": 1}  # code points, not bytes
    assert call(allowed, "strdist", "levenshtein", "", "🙂🙂") == {"value": 2}
    assert call(allowed, "strdist", "similarity", "flaw", "lawn") == {"value": 0.5}
    assert call(allowed, "crashy", "echo", 1, "a\nb", {"c": [True, None]}) == {"value": [1, "a\nb", {"c": [True, None]}]}
    assert call(allowed, "crashy", "add", 2, 3.5) == {"value": 5.5}
    failed = call(allowed, "crashy", "fail")["error"]
    assert failed["code"] == "plugin_error" and failed["message"] == "crashy.fail: crashy failed on purpose"
    wrong = call(allowed, "strdist", "levenshtein", 1, 2)["error"]
    assert wrong["code"] == "plugin_error" and "expected two strings" in wrong["message"]
    assert call(allowed, "storage", "exists", "x") == {"value": False}  # the built-in, not the library named so
    for file in ("nocall", "oldabi", "zz"):
        assert any(file in line and "is not loaded" in line for line in allowed.logs()), allowed.logs()


def test_a_slow_call_runs_off_the_event_loop(services):
    allowed, _ = services
    assert allowed.client.get(allowed.bot("/ticks-while-sleeping"), timeout=60).json()["ticks"] >= 3
    answers = []
    slow = threading.Thread(target=lambda: answers.append(("slow", call(allowed, "crashy", "sleep", 3000))))
    slow.start()
    time.sleep(0.3)
    answers.append(("quick", allowed.client.get(allowed.bot("/quick")).json()))
    slow.join()
    assert answers == [("quick", {"quick": True}), ("slow", {"value": 3000})]


def test_only_allowed_projects_get_them_and_their_typings(services, native, tmp_path):
    allowed, other = services
    assert call(other, "strdist", "levenshtein", "a", "b") == {"missing": True}
    _, http, headers, _, _ = native
    typed = http.get(allowed.api("/runtime/typings"), headers=headers).text
    assert "declare const $strdist: {" in typed and "levenshtein(a: string, b: string): Promise<number>;" in typed
    assert "declare const $crashy" in typed and "$oldabi" not in typed
    assert "$strdist" not in http.get(other.api("/runtime/typings"), headers=headers).text
    source = "// @ts-check\n$router.get('/d', async () => ({ d: await $strdist.levenshtein('a', 'b') + 1 }));\n"
    result = tsc(tmp_path / "ok", typed, source, strict=True)
    assert result.returncode == 0, result.stdout
    result = tsc(tmp_path / "bad", typed, "// @ts-check\n$strdist.levenshtein('a', 2);\n")
    assert result.returncode != 0 and "number" in result.stdout


@pytest.mark.parametrize("how, signal_name", [("segv", "SIGSEGV"), ("abort", "SIGABRT")])
def test_a_crash_in_a_call_kills_only_that_worker_and_names_the_plugin(services, native, how, signal_name):
    allowed, other = services
    server = native[0]
    before = allowed.state()["pid"]
    response = allowed.client.post(allowed.bot("/call"), json={"plugin": "crashy", "fn": "crash", "args": [how]}, timeout=60)
    assert response.status_code == 503, response.text
    crash = allowed.wait_log(f"crashed: the worker was killed by {signal_name} in crashy.crash (<native plugin crashy>)")
    assert crash
    allowed.wait_for(lambda: allowed.state()["state"] == "running" and allowed.state()["pid"] not in (None, before), what="the restart")
    assert call(allowed, "strdist", "levenshtein", "ab", "abc") == {"value": 1}
    assert other.client.get(other.bot("/quick")).json() == {"quick": True}  # the other service went on
    assert http_ok(server.url)
    assert f"crashed: the worker was killed by {signal_name} in crashy.crash" in server.output()


def http_ok(url: str) -> bool:
    return wait_until(lambda: httpx.get(url + "/api/health", timeout=5).status_code == 200, 10, "health")
