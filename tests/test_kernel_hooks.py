"""Hooks: each hookspec (the kernel's and the ones plugins add) is documented (docstring and
docs/hooks.md) and called during the suite; built-in plugins have the agreed shape; the kernel
names no feature; installed plugins come in through the "m3m" entry points."""

from __future__ import annotations

import ast
import inspect
import io
import re
import tokenize
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from quart import Blueprint, jsonify

from conftest import HOOK_TRACE, M3M, ROOT, TEST_DB, free_port, run_m3m, server_env
from kernel.app import create_app
from kernel.hookspecs import hookimpl
from kernel.plugins import TRACE_ENV, build_plugin_manager
from kernel.security import Principal, current_principal
from kernel.settings import load_settings
from kernel.ui import owned_prefixes
from kernel_support import (
    PROBE_NAME,
    PROBE_VERSION,
    make_installed_plugin,
    one_line_error,
    run_concurrently,
    with_pythonpath,
)

HOOKS_MD = ROOT / "docs" / "hooks.md"
KERNEL = ROOT / "kernel"


def hookspec_functions() -> dict:
    """name -> function of every hookspec: the kernel's and those the loaded plugins add."""
    pm = build_plugin_manager()
    return {name: caller.spec.function for name, caller in vars(pm.hook).items() if getattr(caller, "spec", None)}


def builtin_plugins() -> dict[str, object]:
    """name -> module of m3m's own plugins (the `m3m` distribution's entry points)."""
    pm = build_plugin_manager()
    return {name: pm.get_plugin(name) for name, (source, _) in pm.sources.items() if source == "builtin"}


def signature_of(name: str, func) -> str:
    return f"{name}({', '.join(inspect.signature(func).parameters)})"


def normalized(text: str) -> str:
    return " ".join(text.split())


# -- meta-tests: documented, and called ------------------------------------------------------------


def test_there_are_hookspecs():
    specs = set(hookspec_functions())
    assert {"m3m_blueprints", "m3m_startup", "m3m_shutdown", "m3m_cli", "m3m_authenticate", "m3m_settings"} <= specs
    assert {"m3m_release", "m3m_runtime_state"} <= specs  # added by the runtime plugin


@pytest.mark.parametrize("name", sorted(hookspec_functions()))
def test_every_hookspec_has_a_docstring(name):
    doc = inspect.getdoc(hookspec_functions()[name])
    assert doc and len(doc.split()) >= 5, f"{name} needs a docstring saying what it is for"


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
        f"the section of `{signature}` in docs/hooks.md does not carry its docstring"
    )


def test_docs_hooks_md_documents_no_hook_that_does_not_exist():
    signatures = {signature_of(name, func) for name, func in hookspec_functions().items()}
    assert set(hooks_md_sections()) <= signatures


def test_hook_calls_are_traced_across_processes(tmp_path, monkeypatch):
    """The mechanism behind the last test of the suite: with M3M_HOOK_TRACE set, every plugin
    manager (in the tests, the servers, the CLI and the workers) appends each hook it calls."""
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv(TRACE_ENV, str(trace))
    pm = build_plugin_manager()
    pm.hook.m3m_settings()
    pm.hook.m3m_settings()
    names = trace.read_text().split()
    assert names.count("m3m_settings") == 1 and "m3m_add_hookspecs" in names
    assert "m3m_cli" not in names


def test_every_hookspec_was_called_during_the_suite(request):
    """Runs last (conftest orders it): every hookspec was called by some test, in some process."""
    if not request.config.m3m_whole_suite:
        pytest.skip("only a run of the whole suite shows which hooks its tests called")
    called = set(HOOK_TRACE.read_text().split()) if HOOK_TRACE.exists() else set()
    missing = sorted(set(hookspec_functions()) - called)
    assert not missing, f"no test made m3m call {missing}: write one that shows they are called"


# -- built-in plugin shape -----------------------------------------------------------------------


def implemented_hooks(module) -> set[str]:
    tree = ast.parse(Path(module.__file__).read_text())
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


@pytest.mark.parametrize("name", sorted(builtin_plugins()))
def test_builtin_plugin_has_the_agreed_shape(name):
    """A package whose __init__.py holds its hookimpls; routes.py iff it mounts REST routes;
    settings.py iff it declares settings; hookspecs.py iff it adds hooks; a `$` API is
    prelude.js with typings.d.ts, and binding.py (host operations) only beside a prelude."""
    module = builtin_plugins()[name]
    folder = Path(module.__file__).parent
    assert Path(module.__file__).name == "__init__.py", f"{name} is not a package"
    hooks = implemented_hooks(module)
    for hook, part in (("m3m_blueprints", "routes.py"), ("m3m_settings", "settings.py"), ("m3m_add_hookspecs", "hookspecs.py")):
        if hook in hooks:
            assert (folder / part).is_file(), f"{name} implements {hook} but has no {part}"
        else:
            assert not (folder / part).exists(), f"{name} has {part} but does not implement {hook}"
    assert (folder / "prelude.js").is_file() == (folder / "typings.d.ts").is_file(), (
        f"{name}: a $ API is its prelude.js and its typings.d.ts together"
    )
    if (folder / "binding.py").exists():
        assert (folder / "prelude.js").is_file(), f"{name} has binding.py but no prelude.js calling it"


@pytest.mark.parametrize("name", sorted(builtin_plugins()))
def test_builtin_plugin_init_holds_only_hookimpls(name):
    module = builtin_plugins()[name]
    tree = ast.parse(Path(module.__file__).read_text())
    specs = set(hookspec_functions())
    for index, node in enumerate(tree.body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)), (
            f"{name}/__init__.py line {node.lineno}: only imports and hookimpls belong here"
        )
        decorators = {ast.unparse(d) for d in node.decorator_list}
        assert decorators & {"hookimpl", "hookimpl()"} or any(d.startswith("hookimpl(") for d in decorators), (
            f"{name}/__init__.py: {node.name} is not a @hookimpl"
        )
        assert node.name in specs, f"{name}/__init__.py: {node.name} is not a hookspec"


def test_builtin_plugins_are_entry_points_of_m3m_registered_under_their_names():
    plugins = builtin_plugins()
    assert {"auth", "projects", "goals", "env", "pipeline", "runtime", "toolkit", "delayed", "schedule"} <= set(plugins)
    for name, module in plugins.items():
        assert module.__name__ == f"builtin_plugins.{name}"


# -- the kernel knows no feature -----------------------------------------------------------------

# Words the kernel uses for its own generic things, though plugins carry the same names: the
# tenancy of projects, the process environment, the data folder (storage.path) and files, and
# the protocol it serves (ASGI's "http" scope, http:// URLs; the plugin `http` is outgoing HTTP).
KERNEL_WORDS = {"projects", "env", "storage", "files", "http"}


def feature_words(mongo_uri) -> set[str]:
    """What would name a feature: every built-in plugin's name, the settings sections plugins
    declare, and the URL prefixes their routes own (read off a built app)."""
    from kernel.settings import declared_sections

    pm = build_plugin_manager()
    app = create_app(load_settings(mongodb={"uri": mongo_uri, "database": TEST_DB}), pm=pm)
    prefixes = {prefix.strip("/") for prefix in owned_prefixes(app)} - {"api"}
    return (set(builtin_plugins()) | set(declared_sections(pm)) | prefixes) - KERNEL_WORDS


def test_the_kernel_imports_no_feature():
    for path in sorted(KERNEL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for imported in names:
                assert not imported.startswith("builtin_plugins"), f"{path.name} imports {imported}"


def test_the_kernel_names_no_feature(mongo_uri):
    words = feature_words(mongo_uri)
    assert {"auth", "runtime", "pipeline", "jwt", "bot-"} <= words  # the check has teeth
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(word) for word in sorted(words)) + r")(?![\w])", re.IGNORECASE)
    found = []
    for path in sorted(KERNEL.glob("*.py")):
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if token.type in (tokenize.NAME, tokenize.STRING, tokenize.COMMENT) and pattern.search(token.string):
                found.append(f"{path.name}:{token.start[0]}: {pattern.search(token.string).group(0)!r} in {token.string[:60]!r}")
    assert not found, "the kernel names features:\n" + "\n".join(found)


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
