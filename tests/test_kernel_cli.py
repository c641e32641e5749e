"""The `m3m` command as a user runs it: new-admin, plugins, --help, with one-line errors."""

from __future__ import annotations

import pytest
from pymongo import MongoClient

from conftest import M3M, free_port, run_m3m, server_env
from kernel.plugins import build_plugin_manager, describe_plugins
from kernel_support import drop_database, one_line_error, run_concurrently, unique_database


@pytest.fixture
def cli_env(mongo_uri, workdir):
    """Settings for CLI commands on a database of their own, dropped afterwards."""
    database = unique_database()
    env = server_env(workdir / "storage", free_port(), mongo_uri, M3M_MONGODB__DATABASE=database)
    yield env
    drop_database(mongo_uri, database)


def test_new_admin_first_is_root_then_admins(cli_env, workdir, mongo_uri):
    first = run_m3m("new-admin", "First@Example.io", "S3cure-pass", "--name", "First", env=cli_env, cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created root first@example.io (id ")
    second = run_m3m("new-admin", "second@example.io", "An0ther-pass", env=cli_env, cwd=workdir)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("created admin second@example.io (id ")

    client = MongoClient(mongo_uri)
    try:
        docs = {doc["email"]: doc for doc in client[cli_env["M3M_MONGODB__DATABASE"]]["users"].find()}
    finally:
        client.close()
    assert set(docs) == {"first@example.io", "second@example.io"}
    assert docs["first@example.io"]["isRoot"] is True
    assert docs["first@example.io"]["name"] == "First"
    assert docs["second@example.io"]["isRoot"] is False
    assert docs["first@example.io"]["passwordHash"].startswith("$argon2")  # never the password itself
    assert "S3cure-pass" not in str(docs["first@example.io"])

    # Refused input: non-zero exit, one clear line, nothing created. Run at once (independent).
    bad = {
        "duplicate": ("FIRST@example.io", "Fresh-pass-1", "email is taken"),
        "weak-short": ("third@example.io", "a1", "password is too weak"),
        "weak-no-digit": ("third@example.io", "onlyletters", "password is too weak"),
        "invalid-email": ("not-an-email", "S3cure-pass", "email is not an email address"),
        "email-with-space": ("a b@example.io", "S3cure-pass", "email is not an email address"),
    }
    results = run_concurrently(
        {name: ([*M3M, "new-admin", email, password], cli_env, workdir) for name, (email, password, _) in bad.items()}
    )
    for name, (_, _, message) in bad.items():
        line = one_line_error(results[name], message)
        assert line.startswith("Error: "), name
    client = MongoClient(mongo_uri)
    try:
        assert client[cli_env["M3M_MONGODB__DATABASE"]]["users"].count_documents({}) == 2
    finally:
        client.close()


def test_help_lists_the_commands(cli_env, workdir):
    result = run_m3m("--help", env=cli_env, cwd=workdir)
    assert result.returncode == 0, result.stderr
    commands = _commands_of(result.stdout)
    assert {"serve", "plugins", "new-admin"} <= commands
    assert "--settings" in result.stdout


def test_settings_prints_every_section_in_effect_as_toml(cli_env, workdir):
    import tomllib

    env = dict(cli_env, M3M_RUNTIME__ROUTE_TIMEOUT="7s", M3M_JWT__SECRET="never-printed-4711")
    result = run_m3m("settings", env=env, cwd=workdir)
    assert result.returncode == 0, result.stderr
    printed = tomllib.loads(result.stdout)  # valid TOML, usable as a --settings file
    assert printed["runtime"]["route_timeout"] == 7.0 and printed["delayed"]["pool_size"] == 4
    assert {"server", "mongodb", "storage", "plugins", "jwt", "auth", "pipeline", "runtime"} <= set(printed)
    assert "never-printed-4711" not in result.stdout and printed["jwt"]["secret"] == "**********"


def test_plugins_lists_auth_with_its_hooks(cli_env, workdir):
    result = run_m3m("plugins", env=cli_env, cwd=workdir)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split(None, 3) for line in result.stdout.splitlines() if line.strip()}
    assert "auth" in rows
    name, source, version, hooks = rows["auth"]
    assert source == "builtin"
    expected = {row["name"]: row for row in describe_plugins(build_plugin_manager())}["auth"]
    assert version == expected["version"]
    assert [hook.strip() for hook in hooks.split(",")] == expected["hooks"]
    assert {"m3m_blueprints", "m3m_startup", "m3m_cli", "m3m_authenticate"} <= set(expected["hooks"])


def test_blocked_plugin_is_not_loaded_by_the_cli(cli_env, workdir):
    env = dict(cli_env, M3M_PLUGINS__BLOCKED='["auth"]')
    user_file = workdir / "blocking.toml"
    user_file.write_text('[plugins]\nblocked = ["auth"]\n')
    results = run_concurrently({
        "plugins": ([*M3M, "plugins"], env, workdir),
        "help": ([*M3M, "--help"], env, workdir),
        "settings-file": ([*M3M, "--settings", str(user_file), "plugins"], cli_env, workdir),
    })
    for name in ("plugins", "settings-file"):
        assert results[name].returncode == 0, results[name].stderr
        assert "auth" not in results[name].stdout.split(), name
    # auth's m3m_cli hook did not run: its command is gone with it
    assert "new-admin" not in _commands_of(results["help"].stdout)
    assert {"serve", "plugins"} <= _commands_of(results["help"].stdout)


def test_unknown_command_fails(cli_env, workdir):
    result = run_m3m("no-such-command", env=cli_env, cwd=workdir)
    assert result.returncode != 0
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def _commands_of(help_text: str) -> set[str]:
    lines = help_text.split("Commands:", 1)[1].splitlines()
    return {line.split()[0] for line in lines if line.startswith("  ") and line.split()}
