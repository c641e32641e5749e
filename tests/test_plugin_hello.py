"""A pip-installed plugin: examples/plugins/m3m-hello is installed with pip into a temporary
venv that sees the test venv's packages (m3m among them) but not the other way round, so the
test venv stays as it was; m3m is started from that venv, and the plugin's route, its setting,
its `$hello` binding from a service, its typings and `m3m plugins` are checked (docs/plugins.md,
"Python plugins")."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from conftest import M3M, ROOT, ROOT_EMAIL, ROOT_PASSWORD, Server, free_port, login, server_env
from kernel_support import run_concurrently
from runtime_support import new_service, tsc

SOURCE = ROOT / "examples" / "plugins" / "m3m-hello"

SERVICE = """
$router.get('/greet/:name', (ctx) => ({ ...$hello.greet(ctx.params.name), greeting: $hello.greeting }));
$router.get('/blank', () => {
  try { return $hello.greet('  '); } catch (e) { return { message: e.message, code: e.code, status: e.status, fields: e.fields }; }
});
"""


@pytest.fixture(scope="module")
def venv_m3m(tmp_path_factory) -> list[str]:
    """`m3m` of a temporary venv holding the plugin, pip-installed from its source (a copy:
    pip builds in the tree it is given). The venv adds the test venv's site-packages as a site
    directory (its .pth files, m3m's editable install included, are processed)."""
    root = tmp_path_factory.mktemp("hello-plugin")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    Path(own_site, "m3m-test-venv.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    shutil.copytree(SOURCE, root / "src", ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(root / "src")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert Path(own_site, "m3m_hello", "prelude.js").is_file()  # the $ API's files are in the wheel
    assert subprocess.run([sys.executable, "-c", "import m3m_hello"], capture_output=True).returncode != 0  # the test venv has it not
    return [str(python), "-m", "kernel.cli"]


@pytest.fixture(scope="module")
def hello_server(venv_m3m, mongo_uri, tmp_path_factory, server):
    root = tmp_path_factory.mktemp("hello-server")
    env = server_env(root / "storage", free_port(), mongo_uri, M3M_HELLO__GREETING="Bonjour")
    srv = Server(env, root, venv_m3m).wait_ready()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def hello_client(hello_server):
    with httpx.Client(base_url=hello_server.url, timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def headers(hello_client):
    return login(hello_client, ROOT_EMAIL, ROOT_PASSWORD)


def test_m3m_plugins_lists_it_and_its_setting_is_checked(venv_m3m, hello_server, workdir):
    env = hello_server.env
    results = run_concurrently({
        "plugins": ([*venv_m3m, "plugins"], env, workdir),
        "bad-setting": ([*venv_m3m, "plugins"], dict(env, M3M_HELLO__MAX_NAME="0"), workdir),
        "blocked": ([*venv_m3m, "plugins"], dict(env, M3M_PLUGINS__BLOCKED='["hello"]'), workdir),
        "settings": ([*venv_m3m, "settings"], env, workdir),
        "test-venv": ([*M3M, "plugins"], env, workdir),
    })
    assert results["plugins"].returncode == 0, results["plugins"].stderr
    rows = {line.split()[0]: line.split(None, 3) for line in results["plugins"].stdout.splitlines() if line.strip()}
    assert rows["hello"][:3] == ["hello", "installed", "0.1.0"]
    assert [hook.strip() for hook in rows["hello"][3].split(",")] == ["m3m_blueprints", "m3m_settings"]
    assert results["bad-setting"].returncode != 0 and "hello.max_name" in results["bad-setting"].stderr
    assert results["blocked"].returncode == 0 and "hello" not in results["blocked"].stdout.split()
    assert '[hello]\ngreeting = "Bonjour"\nmax_name = 60' in results["settings"].stdout
    assert "hello" not in results["test-venv"].stdout.split()  # only the venv it was installed into has it


def test_its_rest_route(hello_client, headers, users):
    client = hello_client
    service = new_service(client, headers)
    answer = client.get(service.api("/hello"), params={"name": "Ann"}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"project": service.project["slug"], "greeting": "Bonjour, Ann!"}  # M3M_HELLO__GREETING
    blank = client.get(service.api("/hello"), headers=headers)
    assert blank.status_code == 422 and blank.json()["error"]["fields"] == {"name": "name: say who to greet"}
    assert client.get(service.api("/hello"), params={"name": "x" * 61}, headers=headers).status_code == 422
    stranger = login(client, *_member_of_nothing(users))
    assert client.get(service.api("/hello"), params={"name": "Ann"}, headers=stranger).status_code == 404  # m3m's access rule
    assert client.get(service.api("/hello"), params={"name": "Ann"}).status_code == 401
    listed = {row["name"]: row for row in client.get("/api/plugins", headers=headers).json()["items"]}
    assert listed["hello"]["source"] == "installed" and listed["hello"]["version"] == "0.1.0"


def _member_of_nothing(users) -> tuple[str, str]:
    user = users.make()
    return user["email"], user["password"]


def test_its_binding_from_a_service(hello_client, headers):
    client = hello_client
    service = new_service(client, headers)
    try:
        assert service.deploy(SERVICE)["state"] == "running"
        greeted = client.get(service.bot("/greet/Zoé"))
        assert greeted.status_code == 200, greeted.text
        assert greeted.json() == {"text": "Bonjour, Zoé!", "project": service.project["slug"], "greeting": "Bonjour"}
        refused = client.get(service.bot("/blank")).json()
        assert refused == {"message": "name: say who to greet", "code": "validation_failed", "status": 422,
                           "fields": {"name": "name: say who to greet"}}
    finally:
        service.stop()


def test_its_typings(hello_client, headers, tmp_path):
    client = hello_client
    service = new_service(client, headers)
    typings = client.get(service.api("/runtime/typings"), headers=headers).text
    assert "declare const $hello" in typings
    assert f'interface HelloProject {{ readonly slug: "{service.project["slug"]}" }}' in typings  # project_typings
    good = tsc(tmp_path / "good", typings, "// @ts-check\n" + SERVICE + "const s = $hello.greet('a').project;\n")
    assert good.returncode == 0, good.stdout
    wrong = tsc(tmp_path / "wrong", typings, "// @ts-check\n$hello.greet(42);\n$hello.wave();\n")
    assert wrong.returncode != 0
    assert "not assignable to parameter of type 'string'" in wrong.stdout and "Property 'wave' does not exist" in wrong.stdout
