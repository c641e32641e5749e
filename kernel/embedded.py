"""The embedded database: nx-27017 (MongoDB wire protocol over SQLite) as a child process.

Its data lives in {storage.path}/db. The port and pid of the running one are recorded in
embedded.json there, so `m3m new-admin` run beside `m3m serve` reuses the server instead of
opening the same files twice.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

_PR_SET_PDEATHSIG = 1


class EmbeddedError(Exception):
    """The embedded server could not be started; the message is one line."""


def _die_with_parent() -> None:
    # If the server is killed outright (SIGKILL), the kernel stops the database with it.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(uri: str, timeout: float = 0.5) -> bool:
    client = MongoClient(uri, serverSelectionTimeoutMS=int(timeout * 1000))
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedMongo:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.state_file = self.data_dir / "embedded.json"
        self.process: subprocess.Popen | None = None

    @contextmanager
    def _lock(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "embedded.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _read_state(self) -> dict | None:
        try:
            state = json.loads(self.state_file.read_text())
            return state if isinstance(state, dict) else None
        except (OSError, ValueError):
            return None

    def running_uri(self) -> str | None:
        """The URI of a live embedded server recorded for this data dir, if any."""
        state = self._read_state()
        if not state or not _alive(int(state.get("pid", 0))):
            return None
        uri = f"mongodb://127.0.0.1:{state['port']}"
        return uri if answers(uri) else None

    def start(self, timeout: float = 15.0) -> str:
        with self._lock():
            uri = self.running_uri()
            if uri:  # started by another m3m process while we waited for the lock
                return uri
            port = free_port()
            command = [
                sys.executable, "-c", "from nx_27017.nx_27017 import main; main()",
                "--data-dir", str(self.data_dir), "--host", "127.0.0.1", "--port", str(port),
                # nx-27017 logs every command at INFO: keep it off the disk.
                "--log-file", os.devnull, "--pid-file", str(self.data_dir / "nx-27017.pid"),
            ]
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
                # Its own session: Ctrl-C in a terminal signals the whole foreground group, and the
                # database must outlive the server's shutdown hooks; stop() ends it afterwards.
                start_new_session=True,
            )
            uri = f"mongodb://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while not answers(uri):
                if self.process.poll() is not None:
                    raise EmbeddedError(
                        f"the embedded database (nx-27017) exited with code {self.process.returncode}"
                        f" while starting in {self.data_dir}"
                    )
                if time.monotonic() > deadline:
                    self.stop()
                    raise EmbeddedError(f"the embedded database did not answer within {timeout:.0f}s")
                time.sleep(0.05)
            self.state_file.write_text(json.dumps({"pid": self.process.pid, "port": port}))
            return uri

    def stop(self, grace: float = 5.0) -> None:
        """Stop the server this object started (TERM, then KILL past `grace` seconds)."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        state = self._read_state()
        if state and state.get("pid") == process.pid:
            self.state_file.unlink(missing_ok=True)
