"""Hooks: each hookspec is documented (docstring and docs/hooks.md) and exercised by a test;
built-in plugins have the agreed shape; installed plugins come in through the "m3m" entry points."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from quart import Blueprint, jsonify

from conftest import M3M, ROOT, TEST_DB, free_port, run_m3m, server_env
from kernel import hookspecs
from kernel.app import create_app
from kernel.hookspecs import hookimpl
from kernel.plugins import BUILTIN_PLUGINS, build_plugin_manager
from kernel.security import Principal, current_principal
from kernel.settings import load_settings
from kernel_support import (
    PROBE_NAME,
    PROBE_VERSION,
    make_installed_plugin,
    one_line_error,
    run_concurrently,
    with_pythonpath,
)

HOOKS_MD = ROOT / "docs" / "hooks.md"


def hookspec_functions() -> dict:
    """name -> function of every hookspec the kernel declares."""
    return {
        name: func
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, "m3m_spec")
    }


def signature_of(name: str, func) -> str:
    return f"{name}({', '.join(inspect.signature(func).parameters)})"


def normalized(text: str) -> str:
    return " ".join(text.split())


# -- meta-tests: documented, and tested ----------------------------------------------------------


def test_there_are_hookspecs():
    assert {"m3m_blueprints", "m3m_startup", "m3m_shutdown", "m3m_cli", "m3m_authenticate"} <= set(hookspec_functions())


@pytest.mark.parametrize("name", sorted(hookspec_functions()))
def test_every_hookspec_has_a_docstring(name):
    doc = inspect.getdoc(hookspec_functions()[name])
    assert doc and len(doc.split()) >= 5, f"{name} in kernel/hookspecs.py needs a docstring saying what it is for"


def hooks_md_sections() -> dict[str, str]:
    """`signature` -> the text under its heading in docs/hooks.md."""
    sections: dict[str, str] = {}
    current = None
    for line in HOOKS_MD.read_text().splitlines():
        heading = re.match(r"^#{2,3} `(m3m_\w+\(.*\))`\s*$", line)
        if heading:
            current = heading.group(1)
            sections[current] = ""
        elif line.startswith("#"):
            current = None
        elif current:
            sections[current] += line + "\n"
    return sections


@pytest.mark.parametrize("name", sorted(hookspec_functions()))
def test_every_hookspec_is_in_docs_hooks_md_under_its_signature(name):
    func = hookspec_functions()[name]
    signature = signature_of(name, func)
    sections = hooks_md_sections()
    assert signature in sections, (
        f"docs/hooks.md needs a heading '## `{signature}`' followed by the docstring:\n"
        f"{inspect.getdoc(func)}"
    )
    assert normalized(inspect.getdoc(func)) in normalized(sections[signature]), (
        f"the section of `{signature}` in docs/hooks.md does not carry its docstring from kernel/hookspecs.py"
    )


def test_docs_hooks_md_documents_no_hook_that_does_not_exist():
    signatures = {signature_of(name, func) for name, func in hookspec_functions().items()}
    assert set(hooks_md_sections()) <= signatures


@pytest.mark.parametrize("name", sorted(hookspec_functions()))
def test_every_hookspec_is_exercised_by_a_test(name):
    tests = [path for path in sorted((ROOT / "tests").rglob("test_*.py"))]
    using = [path.name for path in tests if re.search(rf"\b{name}\b", path.read_text())]
    assert using, f"no test under tests/ mentions {name}: write one that shows it is called"


# -- built-in plugin shape -----------------------------------------------------------------------


def package_dir(dotted: str) -> Path:
    return ROOT.joinpath(*dotted.split("."))


def implemented_hooks(dotted: str) -> set[str]:
    tree = ast.parse((package_dir(dotted) / "__init__.py").read_text())
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


@pytest.mark.parametrize("dotted", BUILTIN_PLUGINS)
def test_builtin_plugin_has_the_agreed_shape(dotted):
    """__init__.py and service.py (the logic) always; routes.py iff the plugin mounts REST routes
    (m3m_blueprints); runtime.py, prelude.js and typings.d.ts iff it adds $ APIs
    (m3m_runtime_bindings), and then it declares them (m3m_runtime_typings)."""
    folder = package_dir(dotted)
    for part in ("__init__.py", "service.py"):
        assert (folder / part).is_file(), f"{dotted} has no {part}"
    hooks = implemented_hooks(dotted)
    aspects = {
        "m3m_blueprints": ("routes.py",),
        "m3m_runtime_bindings": ("runtime.py", "prelude.js", "typings.d.ts"),
    }
    for hook, parts in aspects.items():
        for part in parts:
            if hook in hooks:
                assert (folder / part).is_file(), f"{dotted} implements {hook} but has no {part}"
            else:
                assert not (folder / part).exists(), f"{dotted} has {part} but does not implement {hook}"
    if "m3m_runtime_bindings" in hooks:
        assert "m3m_runtime_typings" in hooks, f"{dotted} adds $ APIs but does not declare them (m3m_runtime_typings)"


@pytest.mark.parametrize("dotted", BUILTIN_PLUGINS)
def test_builtin_plugin_init_holds_only_hookimpls(dotted):
    tree = ast.parse((package_dir(dotted) / "__init__.py").read_text())
    specs = set(hookspec_functions())
    for index, node in enumerate(tree.body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)), (
            f"{dotted}/__init__.py line {node.lineno}: only imports and hookimpls belong here"
        )
        decorators = {ast.unparse(d) for d in node.decorator_list}
        assert decorators & {"hookimpl", "hookimpl()"} or any(d.startswith("hookimpl(") for d in decorators), (
            f"{dotted}/__init__.py: {node.name} is not a @hookimpl"
        )
        assert node.name in specs, f"{dotted}/__init__.py: {node.name} is not a hookspec"


def test_builtin_plugins_are_registered_under_their_package_name():
    pm = build_plugin_manager()
    for dotted in BUILTIN_PLUGINS:
        name = dotted.rsplit(".", 1)[-1]
        assert pm.get_plugin(name).__name__ == dotted
        assert pm.sources[name][0] == "builtin"


# -- every hook is called ------------------------------------------------------------------------


class RecordingPlugin:
    """A plugin object implementing every kernel hook and recording the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.blueprint = Blueprint("kernel_test_hooks", __name__)

        @self.blueprint.get("/api/kernel-test/whoami")
        async def whoami():
            principal = await current_principal()
            return jsonify({"principal": principal.id if principal else None})

    @hookimpl
    def m3m_blueprints(self, app):
        self.calls.append(("m3m_blueprints", app))
        return [self.blueprint]

    @hookimpl
    async def m3m_startup(self, app):  # async: the kernel awaits it
        self.calls.append(("m3m_startup", app))

    @hookimpl
    def m3m_shutdown(self, app):  # plain: the kernel takes the value as is
        self.calls.append(("m3m_shutdown", app))

    @hookimpl
    def m3m_cli(self, cli):
        self.calls.append(("m3m_cli", cli))

        @cli.command("kernel-test-hello")
        @click.argument("who")
        def hello(who):
            click.echo(f"hello {who} from a plugin command")

    @hookimpl
    async def m3m_authenticate(self, request, app):
        if request.headers.get("X-Kernel-Test") != "let-me-in":
            return None
        self.calls.append(("m3m_authenticate", app))
        return Principal(kind="user", id="kernel-test-principal", is_root=False)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    HOOKS = ("m3m_blueprints", "m3m_startup", "m3m_shutdown", "m3m_cli", "m3m_authenticate")


@pytest.fixture
def recorded_app(mongo_uri):
    settings = load_settings(
        mongodb={"uri": mongo_uri, "database": TEST_DB}, jwt={"secret": "hooks-secret-" + "z" * 32}
    )
    plugin = RecordingPlugin()
    pm = build_plugin_manager()
    pm.register(plugin, name="kernel-test")
    return create_app(settings, pm=pm), plugin


async def test_blueprints_startup_authenticate_shutdown_are_called(recorded_app):
    app, plugin = recorded_app
    assert plugin.calls == [("m3m_blueprints", app)]  # by create_app, with the app
    async with app.test_app() as test_app:
        assert plugin.names() == ["m3m_blueprints", "m3m_startup"]
        assert plugin.calls[1][1] is app
        client = test_app.test_client()

        # m3m_blueprints mounted the route; m3m_authenticate supplies its principal
        anonymous = await client.get("/api/kernel-test/whoami")
        assert (await anonymous.get_json()) == {"principal": None}
        signed = await client.get("/api/kernel-test/whoami", headers={"X-Kernel-Test": "let-me-in"})
        assert (await signed.get_json()) == {"principal": "kernel-test-principal"}
        assert plugin.names().count("m3m_authenticate") == 1

        # the kernel's own login_required accepts that principal too, and lists the plugin
        plugins = await client.get("/api/plugins", headers={"X-Kernel-Test": "let-me-in"})
        assert plugins.status_code == 200
        rows = {row["name"]: row for row in (await plugins.get_json())["items"]}
        assert rows["kernel-test"]["hooks"] == sorted(set(RecordingPlugin.HOOKS))
        assert rows["kernel-test"]["source"] == "registered"
        assert "m3m_shutdown" not in plugin.names()
    assert plugin.names()[-1] == "m3m_shutdown"
    assert plugin.calls[-1][1] is app


def test_cli_hook_adds_commands(recorded_app):
    app, plugin = recorded_app
    group = click.Group("m3m")
    app.m3m.pm.hook.m3m_cli(cli=group)
    assert ("m3m_cli", group) in plugin.calls
    assert {"kernel-test-hello", "new-admin"} <= set(group.commands)  # ours and auth's
    result = CliRunner().invoke(group, ["kernel-test-hello", "world"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello world from a plugin command\n"


def test_a_hookimpl_that_names_no_hookspec_is_refused():
    class Typo:
        @hookimpl
        def m3m_startp(self, app):  # a typo of m3m_startup
            pass

    pm = build_plugin_manager()
    pm.register(Typo(), name="typo")
    with pytest.raises(Exception, match="m3m_startp"):
        pm.check_pending()


# -- an installed plugin (entry point group "m3m") ----------------------------------------------


def test_installed_plugin_is_loaded_through_its_entry_point(workdir, mongo_uri):
    site = make_installed_plugin(workdir / "site")
    env = with_pythonpath(server_env(workdir / "storage", free_port(), mongo_uri), site)
    blocked = dict(env, M3M_PLUGINS__BLOCKED=f'["{PROBE_NAME}"]')
    results = run_concurrently({
        "plugins": ([*M3M, "plugins"], env, workdir),
        "hello": ([*M3M, "kernel-probe-hello"], env, workdir),
        "blocked": ([*M3M, "plugins"], blocked, workdir),
    })
    assert results["plugins"].returncode == 0, results["plugins"].stderr
    rows = {line.split()[0]: line.split(None, 3) for line in results["plugins"].stdout.splitlines() if line.strip()}
    name, source, version, hooks = rows[PROBE_NAME]
    assert (source, version) == ("installed", PROBE_VERSION)
    assert [hook.strip() for hook in hooks.split(",")] == ["m3m_cli", "m3m_shutdown"]
    assert rows["auth"][1] == "builtin"

    assert results["hello"].returncode == 0, results["hello"].stderr
    assert results["hello"].stdout == "hello from kernel-probe\n"  # its m3m_cli added the command

    assert results["blocked"].returncode == 0, results["blocked"].stderr
    assert PROBE_NAME not in results["blocked"].stdout.split()
    assert "auth" in results["blocked"].stdout.split()


BROKEN = {
    "import-error": ("import no_such_module_for_m3m\n", ["ModuleNotFoundError", "no_such_module_for_m3m"]),
    "misspelt-hook": (
        "from kernel.hookspecs import hookimpl\n\n@hookimpl\ndef m3m_startp(app):\n    pass\n",
        ["unknown hook 'm3m_startp'"],
    ),
}


def test_a_broken_installed_plugin_is_one_line_naming_it(workdir, mongo_uri):
    commands = {}
    for case, (source, _) in BROKEN.items():
        site = make_installed_plugin(workdir / case, name=f"broken-{case}", module=f"broken_{case.replace('-', '_')}", source=source)
        env = with_pythonpath(server_env(workdir / "storage", free_port(), mongo_uri), site)
        commands[f"{case}-plugins"] = ([*M3M, "plugins"], env, workdir)
        commands[f"{case}-serve"] = ([*M3M, "serve"], env, workdir)
        blocked = dict(env, M3M_PLUGINS__BLOCKED=f'["broken-{case}"]')
        commands[f"{case}-blocked"] = ([*M3M, "plugins"], blocked, workdir)
    results = run_concurrently(commands)
    for case, (_, needles) in BROKEN.items():
        for command in ("plugins", "serve"):
            one_line_error(results[f"{case}-{command}"], f"plugin broken-{case}", *needles)
        blocked = results[f"{case}-blocked"]
        assert blocked.returncode == 0, blocked.stderr  # blocking it is the way out
        assert "auth" in blocked.stdout.split()


def test_a_failing_startup_hook_stops_serve(workdir, mongo_uri):
    source = (
        "from kernel.hookspecs import hookimpl\n\n"
        "@hookimpl\nasync def m3m_startup(app):\n    raise RuntimeError('kernel-test cannot start')\n"
    )
    site = make_installed_plugin(workdir / "site", name="failing-startup", module="failing_startup", source=source)
    env = with_pythonpath(server_env(workdir / "storage", free_port(), mongo_uri), site)
    result = run_m3m("serve", env=env, cwd=workdir)
    assert result.returncode == 1
    last = [line for line in result.stderr.splitlines() if line.strip()][-1]
    assert last.startswith("Error: the server did not start") and "kernel-test cannot start" in last
