"""One worker process as the supervisor sees it: spawn, channel, heartbeats, stderr, kill."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import socket
import sys
import time
from collections.abc import Callable

from .ipc import Channel, ChannelClosed, RemoteError

STDERR_KEEP = 4000  # characters of the worker's stderr kept for a crash report


class WorkerProcess:
    """One spawned worker and its channel. `requests`/`in_flight` drive recycling and hand-over."""

    def __init__(self, process: asyncio.subprocess.Process, channel: Channel) -> None:
        self.process = process
        self.channel = channel
        self.in_flight = 0
        self.requests = 0
        self.rss = 0  # from the worker's heartbeats: no /proc read on the request path
        self.last_heartbeat = time.monotonic()
        self.routes: list = []
        self.retiring = False  # being stopped on purpose: its exit is not a crash
        self._stderr: collections.deque[str] = collections.deque()
        self._stderr_size = 0
        self._tasks = [asyncio.create_task(channel.serve()), asyncio.create_task(self._drain_stderr())]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    @classmethod
    async def spawn(cls, memory_limit: int, on_event: Callable[["WorkerProcess", dict], None]) -> "WorkerProcess":
        parent, child = socket.socketpair()
        env = {
            **os.environ,
            "M3M_WORKER_FD": str(child.fileno()),
            # The worker asks the kernel to SIGKILL it when this process dies (PR_SET_PDEATHSIG),
            # and exits at once if it was already orphaned before it could ask.
            "M3M_WORKER_PARENT": str(os.getpid()),
            # Data segment room for the engine: twice the RSS cap, so JS gets a catchable
            # out-of-memory while the supervisor's RSS watch does the killing.
            "M3M_WORKER_RLIMIT_DATA": str(max(memory_limit * 2, 512 * 1024 * 1024)),
        }
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "builtin_plugins.runtime.engine.worker",
                pass_fds=[child.fileno()], env=env,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        channel = await Channel.open(parent)
        worker = cls(process, channel)
        channel.on_event = lambda message: on_event(worker, message)
        return worker

    def heartbeat(self, message: dict) -> None:
        self.last_heartbeat = time.monotonic()
        self.rss = int(message.get("rss") or 0)

    async def request(self, message: dict, timeout: float | None) -> dict:
        self.in_flight += 1
        self.requests += 1
        try:
            return await self.channel.request(message, timeout)
        finally:
            self.in_flight -= 1

    async def responsive(self, timeout: float = 2.0) -> bool:
        try:
            await self.channel.request({"t": "ping"}, timeout)
            return True
        except (asyncio.TimeoutError, ChannelClosed, RemoteError):
            return False

    def kill(self) -> None:
        self.retiring = True
        if self.alive:
            try:
                self.process.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.channel.close()

    async def wait(self) -> int:
        code = await self.process.wait()
        for task in self._tasks:  # the stderr reader ends at EOF; give it a moment to get there
            await asyncio.wait([task], timeout=1)
        return code

    async def _drain_stderr(self) -> None:
        # Read all the time: a worker that writes more than a pipe buffer to stderr would
        # otherwise block on write and look frozen. Only the tail is kept.
        stream = self.process.stderr
        if stream is None:
            return
        while chunk := await stream.read(4096):
            text = chunk.decode(errors="replace")
            self._stderr.append(text)
            self._stderr_size += len(text)
            while self._stderr_size - len(self._stderr[0]) >= STDERR_KEEP:
                self._stderr_size -= len(self._stderr.popleft())

    def stderr_tail(self) -> str:
        """What the worker printed before dying (a Python traceback, a MOZ_CRASH line)."""
        return "".join(self._stderr)[-STDERR_KEEP:]


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker was killed by {name}"
    return f"the worker exited with code {code}"
