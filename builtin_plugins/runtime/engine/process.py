"""One worker process as the supervisor sees it: spawn, channel, heartbeats, stderr, kill."""

from __future__ import annotations

import asyncio
import collections
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Callable

from .ipc import Channel, ChannelClosed, RemoteError
from .zygote import ZygoteUnavailable

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
        self.awake: str | None = "booting"  # why it must not sleep, from its heartbeats; None: it may
        self.routes: list = []
        self.retiring = False  # being stopped on purpose: its exit is not a crash
        self.cpu = None  # its CPU account (cpu.py) once taken for a service
        self._stderr: collections.deque[str] = collections.deque()
        self._stderr_size = 0
        self._tasks = [asyncio.create_task(channel.serve()), asyncio.create_task(self._drain_stderr())]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def forked(self) -> bool:
        """Forked by the zygote (rather than spawned as a new interpreter)."""
        return isinstance(self.process, ForkedProcess)

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    @classmethod
    async def spawn(cls, memory_limit: int, on_event: Callable[["WorkerProcess", dict], None], zygote=None, env: dict | None = None) -> "WorkerProcess":
        """A new worker: forked by the zygote when there is one, else spawned as a new interpreter
        (with `env` added to its environment: the zygote was started with the same)."""
        parent, child = socket.socketpair()
        # Data segment room for the engine: twice the RSS cap, so JS gets a catchable
        # out-of-memory while the supervisor's RSS watch does the killing.
        rlimit_data = max(memory_limit * 2, 512 * 1024 * 1024)
        try:
            process = None
            if zygote is not None and zygote.alive:
                try:
                    process = await ForkedProcess.fork(zygote, child, rlimit_data)
                except ZygoteUnavailable:
                    process = None  # spawned below; the supervisor restarts its zygote
            if process is None:
                process = await _spawn_interpreter(child, rlimit_data, env or {})
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
        self.awake = message.get("awake", "booting")

    async def request(self, message: dict, timeout: float | None, body: bytes) -> tuple[dict, bytes]:
        self.in_flight += 1
        self.requests += 1
        try:
            return await self.channel.request(message, timeout, body)
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


async def _spawn_interpreter(child: socket.socket, rlimit_data: int, extra: dict) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        **extra,
        "M3M_WORKER_FD": str(child.fileno()),
        # The worker asks the kernel to SIGKILL it when this process dies (PR_SET_PDEATHSIG),
        # and exits at once if it was already orphaned before it could ask.
        "M3M_WORKER_PARENT": str(os.getpid()),
        "M3M_WORKER_RLIMIT_DATA": str(rlimit_data),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "builtin_plugins.runtime.engine.worker",
        pass_fds=[child.fileno()], env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )


class ForkedProcess:
    """A worker the zygote forked and this process adopted (it is the subreaper): the part of
    asyncio.subprocess.Process the supervisor uses, with a pidfd telling when it exits."""

    def __init__(self, pid: int, stderr: asyncio.StreamReader) -> None:
        self.pid = pid
        self.stderr = stderr
        self.returncode: int | None = None
        self._exited = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._pidfd = os.pidfd_open(pid)
        self._loop.add_reader(self._pidfd, self._reap)
        self._reap()  # it may have ended already

    @classmethod
    async def fork(cls, zygote, child: socket.socket, rlimit_data: int) -> "ForkedProcess":
        read_end, write_end = os.pipe()
        # The exchange with the zygote runs to its end even when the caller is cancelled (a spare
        # no longer wanted): its answer must be read, and the worker it made must not be left.
        exchange = asyncio.ensure_future(zygote.fork(child.fileno(), write_end, rlimit_data))
        try:
            pid = await asyncio.shield(exchange)
        except BaseException:
            os.close(read_end)
            exchange.add_done_callback(_end_unwanted)
            raise
        finally:
            os.close(write_end)
        stderr = asyncio.StreamReader()
        await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stderr), os.fdopen(read_end, "rb", 0))
        return cls(pid, stderr)

    def _reap(self) -> None:
        if self.returncode is not None:
            return
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere: its code is lost
            pid, status = self.pid, 0
        if pid == 0:
            return  # still running
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self.returncode = os.waitstatus_to_exitcode(status)
        self._exited.set()

    async def wait(self) -> int:
        await self._exited.wait()
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)


def _end_unwanted(exchange: asyncio.Future) -> None:
    """A fork nobody waits for any more: kill the worker it made, and reap it when it ends."""
    if exchange.cancelled() or exchange.exception() is not None:
        return
    pid = exchange.result()
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    ForkedProcess(pid, asyncio.StreamReader())  # its pidfd reaps it


# The dump Python's faulthandler writes on a fatal signal (a segfault or abort() in native code,
# where the worker enabled it): its first frame is the innermost Python frame of the thread that
# crashed, e.g. the entry of a native plugin's function (builtin_plugins/native/library.py).
FAULT_DUMP = re.compile(r'Fatal Python error: [^\n]*\n\n(?:Current thread [^\n]*|Stack) \(most recent call first\):\n  File "([^"]+)", line \d+ in (\S+)')


def crash_site(stderr: str) -> str:
    """' in FUNCTION (FILE)' of the innermost frame of a faulthandler dump, or ''."""
    found = FAULT_DUMP.search(stderr)
    return f" in {found.group(2)} ({found.group(1)})" if found else ""


def exit_reason(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker was killed by {name}"
    return f"the worker exited with code {code}"
