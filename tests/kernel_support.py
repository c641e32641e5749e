"""Helpers for the kernel tests: one-line CLI errors, processes by data dir, an installed plugin."""

from __future__ import annotations

import os
import secrets
import subprocess
import textwrap
from pathlib import Path

from pymongo import MongoClient

PROBE_NAME = "kernel-probe"
PROBE_VERSION = "1.2.3"

# An installed plugin as pip would leave it: a module and its dist-info with an "m3m" entry point.
PROBE_MODULE = '''
"""A plugin installed the way pip installs one, for the kernel tests."""

import os
from pathlib import Path

import click

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_cli(cli):
    @cli.command("kernel-probe-hello")
    def hello():
        """Say hello from an installed plugin."""
        click.echo("hello from kernel-probe")


@hookimpl
async def m3m_shutdown(app):
    # Proves the database still answers while shutdown hooks run (KERNEL_PROBE_MARK names a file).
    mark = os.environ.get("KERNEL_PROBE_MARK")
    if not mark:
        return
    try:
        await app.m3m.db["kernel_probe"].insert_one({"at": "shutdown"})
        result = "db ok"
    except Exception as exc:
        result = f"db failed: {type(exc).__name__}"
    Path(mark).write_text(result)
'''


def make_installed_plugin(
    root: Path, name: str = PROBE_NAME, module: str = "m3m_kernel_probe", source: str = PROBE_MODULE,
    version: str = PROBE_VERSION,
) -> Path:
    """Write a plugin module and its *.dist-info into `root` (to be put on PYTHONPATH)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    dist = root / f"{module}-{version}.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text(f"[m3m]\n{name} = {module}\n")
    return root


def with_pythonpath(env: dict, path: Path) -> dict:
    env = dict(env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(path), env.get("PYTHONPATH", "")) if p)
    return env


def one_line_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """The command failed with exactly one non-empty stderr line, no traceback, naming `needles`."""
    assert result.returncode != 0, f"exit 0:\n{result.stdout}\n{result.stderr}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def unique_database(prefix: str = "m3m_testing_kernel") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def drop_database(mongo_uri: str, name: str) -> None:
    client = MongoClient(mongo_uri)
    try:
        client.drop_database(name)
    finally:
        client.close()


def nx_processes(data_dir: Path) -> list[int]:
    """Pids of live nx-27017 processes serving `data_dir` (zombies have an empty cmdline)."""
    pids = []
    needle = str(Path(data_dir).resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [arg.decode(errors="replace") for arg in argv]
        if any("nx_27017" in arg for arg in args) and needle in args:
            pids.append(int(entry.name))
    return pids


def process_gone(pid: int) -> bool:
    """No such process, or only its zombie left (it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    state = next((line for line in status.splitlines() if line.startswith("State:")), "")
    return "Z" in state.split()[1:2]


def run_concurrently(commands: dict[str, tuple[list[str], dict, Path]], timeout: float = 60) -> dict:
    """Run independent commands at once (each is argv, env, cwd); their CompletedProcess by key.

    The start-up of a Python process dominates these tests, so they overlap rather than queue.
    """
    running = {
        key: (argv, subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for key, (argv, env, cwd) in commands.items()
    }
    results = {}
    for key, (argv, process) in running.items():
        stdout, stderr = process.communicate(timeout=timeout)
        results[key] = subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)
    return results
