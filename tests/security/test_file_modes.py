"""The storage tree and the embedded database are the operator's alone (issue [13] finding 8). The
attacker is another local user of the machine: it reads what m3m wrote (the embedded database's
SQLite files hold every user, env value and link key; backups hold them again; project files,
logs, avatars, the JWT secret) or connects to the embedded database from another machine.

A real `m3m serve` with the embedded database writes everything a server writes: a project's
files (uploaded and written by its service's worker), env, goals, a link key, run logs, a record's
file, an avatar, the JWT secret, a backup (the server's and `m3m backup`'s), an export. Then every
folder under storage is 0700 or stricter and every file 0600 or stricter, `nobody` reads none of
it, and the database listens on loopback only. The storage root of an older m3m (0755) is made
0700 by the next start."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from ipaddress import ip_address
from pathlib import Path

import pytest

from kernel_support import nx_processes
from ops_support import Instance, populate

NOBODY = 65534


@pytest.fixture(scope="module")
def world(mongo_uri):
    """The server's folder lies in a folder every user may enter (as /srv or /opt would be), so
    that only m3m's own modes stand between another user and its files."""
    parent = Path(tempfile.mkdtemp(prefix="m3m-modes-"))
    parent.chmod(0o755)
    workdir = parent / "instance"
    workdir.mkdir(mode=0o755)
    workdir.chmod(0o755)
    instance = Instance(mongo_uri, workdir, "modes", M3M_MONGODB__URI="embedded", M3M_JWT__SECRET="")
    # A storage root as an older m3m left it: readable by everyone.
    instance.storage.chmod(0o755)
    try:
        instance.start()
        populated = populate(instance)
        yield instance, populated
    finally:
        instance.stop()
        shutil.rmtree(parent, ignore_errors=True)


def too_open(root: Path) -> list[str]:
    """Every folder other users may enter or read, and every file they may read or write."""
    found = []
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode):
            if info.st_mode & 0o077:
                found.append(f"{path.relative_to(root.parent)} {stat.filemode(info.st_mode)}")
    return found


def listening(pid: int) -> set[str]:
    """The addresses the process's listening TCP sockets are bound to (/proc/net/tcp{,6})."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    addresses = set()
    for table, size in (("tcp", 4), ("tcp6", 16)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # LISTEN
                raw = bytes.fromhex(local.split(":")[0])
                # /proc prints each 32-bit word in host (little-endian) order.
                addresses.add(str(ip_address(b"".join(raw[i:i + 4][::-1] for i in range(0, size, 4)))))
    return addresses


def test_everything_the_server_writes_is_the_operators_alone(world):
    instance, populated = world
    client, headers = instance.client, instance.headers
    api = populated["service"].api
    assert client.post(api("/storage/link"), json={"path": "uploads/deep/blob.bin"}, headers=headers).status_code in (200, 201)
    made = client.post("/api/backups", headers=headers, timeout=120)
    assert made.status_code == 201, made.text
    exported = client.get(api("/export"), headers=headers, timeout=120)
    assert exported.status_code == 200
    cli_backup = instance.workdir / "by-cli.tar.gz"
    result = instance.m3m("backup", str(cli_backup))
    assert result.returncode == 0, result.stderr

    storage = instance.storage
    written = {path.relative_to(storage).parts[0] for path in storage.rglob("*") if path.is_file()}
    assert {"db", "projects", "avatars", "logs", "backups", "jwt-secret"} <= written, written
    assert list((storage / "db").glob("*.db")) and (storage / "db" / "embedded.json").is_file()
    assert too_open(storage) == []
    assert stat.S_IMODE(storage.stat().st_mode) == 0o700  # the older root too, made 0700 at start
    assert stat.S_IMODE(cli_backup.stat().st_mode) & 0o077 == 0  # written by a CLI command

    # Another local user: reads nothing of it (the SQLite files, the backup, the secret, a log).
    if os.geteuid() == 0:
        targets = [*(storage / "db").glob("*.db"), storage / "jwt-secret", storage / "backups" / made.json()["name"],
                   next((storage / "logs").rglob("*.log")), cli_backup]
        for target in targets:
            read = subprocess.run(["cat", str(target)], user=NOBODY, capture_output=True)
            assert read.returncode != 0 and b"Permission denied" in read.stderr, target

    # The embedded database listens on loopback, and only there.
    [pid] = nx_processes(storage / "db")
    addresses = listening(pid)
    assert addresses and all(ip_address(address).is_loopback for address in addresses), addresses

    # A stop writes too (the run's log archived, the database's last pages): still private.
    instance.stop()
    assert too_open(storage) == []
