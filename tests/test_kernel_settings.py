"""Settings: settings.toml defaults, a --settings / M3M_SETTINGS file, M3M_* environment overrides,
and one clear line when a setting is missing, malformed, unknown or its file unreadable."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import jwt
import pytest

from conftest import M3M, ROOT_EMAIL, ROOT_PASSWORD, Server, free_port, run_m3m, server_env
from kernel.settings import SettingsError, load_settings, parse_duration, parse_size
from kernel_support import drop_database, one_line_error, run_concurrently, unique_database


@pytest.fixture
def clean_env(monkeypatch):
    """No M3M_* variable from the caller's environment leaks into load_settings()."""
    for key in list(os.environ):
        if key.startswith("M3M_"):
            monkeypatch.delenv(key)
    return monkeypatch


def bare_env(**extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("M3M_")}
    env.update(extra)
    return env


# -- in-process: what load_settings() gives -------------------------------------------------------


def test_defaults_come_from_settings_toml(clean_env):
    s = load_settings()
    assert (s.server.host, s.server.port) == ("0.0.0.0", 3000)
    assert s.server.uri == "http://127.0.0.1:3000"
    assert s.server.max_body == 16 * 1024 * 1024
    assert (s.mongodb.uri, s.mongodb.database, s.mongodb.timeout) == ("embedded", "m3m", 5.0)
    assert (s.jwt.secret.get_secret_value(), s.jwt.expiration) == ("", 168 * 3600.0)
    assert s.storage.path == Path("./storage")
    assert s.auth.avatar_max_size == 2 * 1024 * 1024
    assert s.plugins.blocked == []
    assert s.delayed.pool_size == 4
    assert s.runtime.memory_limit == 256 * 1024 * 1024
    assert s.runtime.route_timeout == 30.0
    assert s.runtime.recycle_requests == 100000
    assert s.source_file is None


def test_environment_overrides_nested_keys_and_lists(clean_env):
    clean_env.setenv("M3M_SERVER__PORT", "3100")
    clean_env.setenv("M3M_PLUGINS__BLOCKED", '["goals", "env"]')
    clean_env.setenv("M3M_MONGODB__TIMEOUT", "250ms")
    clean_env.setenv("M3M_RUNTIME__MEMORY_LIMIT", "512KB")
    clean_env.setenv("M3M_JWT__SECRET", "from-the-environment")
    s = load_settings()
    assert s.server.port == 3100
    assert s.server.uri == "http://127.0.0.1:3100"  # an empty uri follows the port
    assert s.server.host == "0.0.0.0"  # the rest of [server] keeps its defaults
    assert s.plugins.blocked == ["goals", "env"]
    assert s.mongodb.timeout == 0.25
    assert s.runtime.memory_limit == 512 * 1024
    assert s.jwt.secret.get_secret_value() == "from-the-environment"


def test_server_uri_derivation(clean_env):
    clean_env.setenv("M3M_SERVER__HOST", "10.1.2.3")
    clean_env.setenv("M3M_SERVER__PORT", "8080")
    assert load_settings().server.uri == "http://10.1.2.3:8080"
    clean_env.setenv("M3M_SERVER__URI", "https://m3m.example.com/")
    assert load_settings().server.uri == "https://m3m.example.com"  # as given, without the slash


def test_file_then_environment(clean_env, tmp_path):
    user_file = tmp_path / "mine.toml"
    user_file.write_text('[server]\nport = 3200\n\n[jwt]\nexpiration = "15m"\n')
    s = load_settings(user_file)
    assert (s.server.port, s.jwt.expiration) == (3200, 900.0)
    assert s.server.host == "0.0.0.0" and s.mongodb.database == "m3m"  # merged, not replaced
    assert s.source_file == user_file.resolve()
    clean_env.setenv("M3M_SERVER__PORT", "3300")  # the environment wins over the file
    assert load_settings(user_file).server.port == 3300
    clean_env.delenv("M3M_SERVER__PORT")
    clean_env.setenv("M3M_SETTINGS", str(user_file))  # the file named by the environment
    assert load_settings().server.port == 3200


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("250ms", 0.25), ("30s", 30), ("15m", 900), ("168h", 604800), ("7d", 604800), ("1.5s", 1.5),
     (" 2m ", 120), (45, 45.0), (0.5, 0.5)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5", "5 minutes", "-3s", "1w", True])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [("512KB", 512 * 1024), ("16MB", 16 * 1024**2), ("1GB", 1024**3), ("2mb", 2 * 1024**2),
     ("100", 100), ("100B", 100), (4096, 4096)],
)
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "1.5MB", "16 TB", "-1", True])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("M3M_SERVER__PORT", "true", "setting server.port is invalid"),  # a bool is not a port
        ("M3M_SERVER__PORT", "70000", "setting server.port is invalid"),
        ("M3M_SERVER__MAX_BODY", "0", "setting server.max_body is invalid"),
        ("M3M_JWT__EXPIRATION", "0s", "setting jwt.expiration is invalid"),
        ("M3M_MONGODB__DATABASE", "has space", "setting mongodb.database is invalid"),
        ("M3M_DELAYED__POOL_SIZE", "0", "setting delayed.pool_size is invalid"),
        ("M3M_MONGODB__URI", "postgres://db", "setting mongodb.uri is invalid"),
        ("M3M_SERVER__MAX_BODY", "lots", "setting server.max_body is invalid"),
        ("M3M_PLUGINS__BLOCKED", "auth", "setting plugins.blocked is invalid"),  # not a list
        ("M3M_SERVER__PORT", "3.7", "setting server.port is invalid"),
    ],
)
def test_load_settings_refuses(clean_env, key, value, message):
    clean_env.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[server]\nport = "three thousand"\n', "setting server.port is invalid"),
        ("server = 5\n", "setting server is invalid"),
        ('[server]\nport = 3000\nprot = 3001\n', "setting server.prot is unknown"),
    ],
)
def test_load_settings_refuses_a_file(clean_env, tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(message)


# -- real processes: `m3m serve` stops with one line naming the key --------------------------------

BAD_ENV = {
    "port-not-a-number": ({"M3M_SERVER__PORT": "abc"}, "setting server.port is invalid"),
    "port-deleted": ({"M3M_SERVER__PORT": "@del"}, "setting server.port is missing"),  # dynaconf's delete marker
    "unknown-key": ({"M3M_SERVER__BOGUS": "1"}, "setting server.bogus is unknown"),
    "bad-duration": ({"M3M_MONGODB__TIMEOUT": "soon"}, "setting mongodb.timeout is invalid"),
}

BAD_FILES = {
    "malformed": ("[server]\nport = \n", "is not valid TOML"),
    "not-utf8": (b"\xff\xfe[server]\n", "is not UTF-8"),
    "unknown-key": ('[jwt]\nsecrt = "x"\n', "setting jwt.secrt is unknown"),
}


@pytest.fixture(scope="module")
def failed_serves(tmp_path_factory):
    """Every bad case as a real `m3m serve`, run at once; results by case name."""
    root = tmp_path_factory.mktemp("bad-settings")
    commands = {}

    def add(name, args, **extra):
        cwd = root / name
        cwd.mkdir()
        env = bare_env(M3M_STORAGE__PATH=str(cwd / "storage"), **extra)
        commands[name] = ([*M3M, *args(cwd), "serve"], env, cwd)

    for name, (extra, _) in BAD_ENV.items():
        add(f"env-{name}", lambda cwd: [], **extra)
    for name, (content, _) in BAD_FILES.items():
        def args(cwd, content=content):
            path = cwd / "bad.toml"
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
            return ["--settings", str(path)]
        add(f"file-{name}", args)
    add("file-missing", lambda cwd: ["--settings", str(cwd / "nope.toml")])
    add("file-directory", lambda cwd: [], M3M_SETTINGS=str(root))  # through the environment

    def unreadable(cwd):
        path = cwd / "secret.toml"
        path.write_text("[server]\nport = 3000\n")
        path.chmod(0)
        return ["--settings", str(path)]

    add("file-unreadable", unreadable)
    if os.geteuid() == 0:
        # root reads any file; without these two capabilities it is held to the mode bits.
        setpriv = shutil.which("setpriv")
        argv, env, cwd = commands["file-unreadable"]
        if setpriv:
            commands["file-unreadable"] = ([setpriv, "--bounding-set", "-dac_override,-dac_read_search", *argv], env, cwd)
        else:
            del commands["file-unreadable"]
    results = run_concurrently(commands)
    return {name: (result, commands[name][2]) for name, result in results.items()}


@pytest.mark.parametrize("case", sorted(BAD_ENV))
def test_serve_stops_on_a_bad_environment_setting(failed_serves, case):
    result, cwd = failed_serves[f"env-{case}"]
    one_line_error(result, BAD_ENV[case][1])
    assert not (cwd / "storage").exists()  # stopped before starting any database


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_serve_stops_on_a_bad_settings_file(failed_serves, case):
    result, cwd = failed_serves[f"file-{case}"]
    message = BAD_FILES[case][1]
    line = one_line_error(result, message)
    if "setting " not in message:
        assert str(cwd / "bad.toml") in line  # a file-level problem names the file
    assert not (cwd / "storage").exists()


def test_serve_stops_on_a_missing_settings_file(failed_serves):
    result, cwd = failed_serves["file-missing"]
    one_line_error(result, "not found", str(cwd / "nope.toml"))


def test_serve_stops_on_a_directory_given_as_settings_file(failed_serves):
    result, cwd = failed_serves["file-directory"]
    one_line_error(result, "is a directory", str(cwd.parent))


def test_serve_stops_on_an_unreadable_settings_file(failed_serves):
    if "file-unreadable" not in failed_serves:
        pytest.skip("running as root and util-linux setpriv is not installed")
    result, cwd = failed_serves["file-unreadable"]
    one_line_error(result, "cannot be read", str(cwd / "secret.toml"))


def test_settings_file_reaches_a_real_server(mongo_uri, workdir):
    """`M3M_SETTINGS` is honoured by `m3m serve`: the file's jwt.expiration shapes the tokens,
    and server.uri (empty) follows the port given in the environment."""
    database = unique_database()
    user_file = workdir / "m3m.toml"
    user_file.write_text('[jwt]\nexpiration = "90m"\n')
    port = free_port()
    env = server_env(workdir / "storage", port, mongo_uri, M3M_MONGODB__DATABASE=database, M3M_SETTINGS=str(user_file))
    try:
        assert run_m3m("new-admin", ROOT_EMAIL, ROOT_PASSWORD, env=env, cwd=workdir).returncode == 0
        server = Server(env, workdir).wait_ready()
        try:
            response = httpx.post(server.url + "/api/auth/login", json={"email": ROOT_EMAIL, "password": ROOT_PASSWORD})
            assert response.status_code == 200, response.text
            claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
            assert claims["exp"] - claims["iat"] == 90 * 60
            assert f"m3m is running at http://127.0.0.1:{port} " in server.output()
        finally:
            assert server.stop() == 0
    finally:
        drop_database(mongo_uri, database)


def test_docs_settings_md_lists_every_key(clean_env):
    """Every key of every section (the kernel's and each plugin's) is in docs/settings.md."""
    from conftest import ROOT

    text = (ROOT / "docs" / "settings.md").read_text()
    dumped = load_settings().model_dump(mode="json", exclude={"source_file"})
    keys = [f"{section}.{key}" for section, values in dumped.items() for key in values]
    assert len(keys) > 20
    missing = [key for key in keys if f"| {key} |" not in text]
    assert not missing, f"docs/settings.md does not list {missing}"


def test_plugin_sections_are_checked_by_their_models(clean_env, tmp_path):
    """A plugin's section: defaults fill missing keys, values are parsed, unknown keys refused;
    a blocked plugin's section is left unchecked."""
    path = tmp_path / "plugins.toml"
    path.write_text('[runtime]\nroute_timeout = "2s"\n\n[delayed]\npool_size = 2\n')
    s = load_settings(path)
    assert (s.runtime.route_timeout, s.runtime.memory_limit, s.delayed.pool_size) == (2.0, 256 * 1024**2, 2)
    path.write_text('[runtime]\nroute_timout = "2s"\n')
    with pytest.raises(SettingsError, match="setting runtime.route_timout is unknown"):
        load_settings(path)
    clean_env.setenv("M3M_PLUGINS__BLOCKED", '["runtime"]')
    assert load_settings(path).runtime == {"route_timout": "2s"}
