"""A worker: one process, one running service, its own SpiderMonkey engine.

Started by the supervisor as `python -m builtin_plugins.runtime.engine.worker`, or forked by the
fork server (zygote.py) before PythonMonkey is imported (a fork after importing it hangs at its
first GC), with the channel's socket in M3M_WORKER_FD. It answers `boot` (every plugin's $ API,
the release, $service.boot then .start), `request` (a route call), `ping`, `hold_writes` and
`release_writes` (a backup: writes.py) and `stop` ($service.shutdown, then exit), and sends log lines and heartbeats (RSS, and what keeps the
service awake: docs/runtime/sleep.md) as events.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import json
import os
import resource
import signal
import socket
import sys

from kernel.plugins import await_me_maybe
from kernel.times import log_stamp

from ..sdk import Requests
from .ipc import NO_BODY, Channel, ChannelClosed, RemoteError
from .writes import WriteGate

HEARTBEAT_SECONDS = 1.0
LOG_FLUSH_SECONDS = 0.1
# Unsent log text a worker holds at most: JS that logs in a loop without yielding would
# otherwise grow the buffer until the memory cap kills the worker. Past it lines are counted, not kept.
LOG_BUFFER_BYTES = 2 * 1024 * 1024


def rss_bytes(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize()
    except (OSError, IndexError, ValueError):
        return 0


class Worker:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.sandbox = None
        self.log_buffer: list[list[str]] = []
        self.log_buffer_bytes = 0
        self.log_dropped = 0
        self.done = asyncio.Event()
        self.bindings: list = []
        self.booted = False
        self.requests = Requests()
        self.gate = WriteGate()
        channel.on_request = self.handle

    def log(self, level: str, message: str) -> None:
        """Buffered: a route that logs never waits for the supervisor."""
        if self.log_buffer_bytes + len(message) > LOG_BUFFER_BYTES:
            self.log_dropped += 1
            return
        self.log_buffer_bytes += len(message)
        self.log_buffer.append([log_stamp(), level.upper(), message])

    def tell(self, topic: str, data) -> None:
        """A binding's notice to the server (BindingContext.tell): sent at once, never awaited."""
        try:
            self.channel.send({"t": "notice", "topic": topic, "data": data})
        except ChannelClosed:
            pass

    async def flush_logs(self) -> None:
        while not self.done.is_set():
            await asyncio.sleep(LOG_FLUSH_SECONDS)
            self._send_logs()

    def _send_logs(self) -> None:
        if self.log_dropped:
            note = f"[runtime] {self.log_dropped} lines dropped: the service logged faster than they could be sent"
            self.log_buffer.append([log_stamp(), "WARN", note])
            self.log_dropped = 0
        if self.log_buffer:
            lines, self.log_buffer, self.log_buffer_bytes = self.log_buffer, [], 0
            self.channel.send({"t": "log", "lines": lines})

    async def heartbeat(self) -> None:
        while not self.done.is_set():
            self.channel.send({"t": "heartbeat", "rss": rss_bytes(), "awake": await self.awake()})
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def awake(self) -> str | None:
        """Why this service must not sleep now (the first binding that says so), or None.
        A spare or a booting worker is awake; so is one whose binding fails to answer."""
        if self.sandbox is None or not self.booted:
            return "booting"
        for binding in self.bindings:
            if binding.awake is None:
                continue
            try:
                reason = await await_me_maybe(binding.awake())
            except Exception as exc:  # in doubt, awake: a wrong sleep loses work, a wrong wake costs memory
                return f"{binding.name}: {exc}"
            if reason:
                return reason
        return None

    async def handle(self, message: dict, body: bytes) -> tuple[dict, bytes]:
        kind = message.get("t")
        if kind == "request":
            request_id = self.requests.started()
            try:
                response, response_body = await self.sandbox.dispatch(message["req"], body)
            finally:
                self.requests.ended(request_id)
            if "error" in response:
                raise RemoteError(response["error"], response.get("stack"))
            return {"response": response}, response_body
        if kind == "ping":
            return {"rss": rss_bytes()}, NO_BODY
        if kind == "hold_writes":  # a backup reads: writes wait (writes.py)
            return {"passing": await self.gate.hold(float(message.get("timeout", 10)))}, NO_BODY
        if kind == "release_writes":
            self.gate.release()
            return {}, NO_BODY
        if kind == "boot":
            if message.get("hold_writes"):  # booted while a backup reads; shut before any await,
                self.gate.shut()  # so that a release_writes sent after this message comes after it
            return await self.boot(message), NO_BODY
        if kind == "stop":
            result = await self.sandbox.lifecycle("shutdown") if self.sandbox else {"ok": True}
            self._send_logs()
            asyncio.get_running_loop().call_later(0.05, self.done.set)
            return {"shutdown": result}, NO_BODY
        raise ValueError(f"unknown message {kind!r}")

    async def boot(self, message: dict) -> dict:
        from kernel.db import Database

        from ..apis import make_bindings, process_apis
        from ..sdk import BindingContext
        from .sandbox import Sandbox

        # The server checked the settings; here they are plain values with attribute access, so
        # the worker does without pydantic and dynaconf (~15 MB of an idle worker's RSS).
        settings = SettingsView(message["settings"])
        project = message["project"]
        name_process(f"m3m:{project['slug']}")
        db = Database(message["db"]["uri"], settings.mongodb.database, settings.mongodb.timeout)
        apis = process_apis(settings.plugins.blocked)
        context = BindingContext(
            project=project,
            release=message["release"]["version"],
            settings=settings,
            db=db,
            log=self.log,
            report={},
            requests=self.requests,
            tell=self.tell,
            apis=apis,
        )
        self.bindings = bindings = await make_bindings(apis, context)
        self.sandbox = Sandbox(bindings, self.log, self.gate)
        try:
            self.sandbox.run_script(message["release"]["code"], filename=f"release-{context.release}.js")
        except Exception as exc:  # the engine's message carries file, line and the source excerpt
            raise RemoteError(f"the service's code failed to load: {exc}", str(exc)) from None
        for phase in ("boot", "start"):
            result = await self.sandbox.lifecycle(phase)
            if "error" in result:
                raise RemoteError(f"$service.{phase} failed: {result['error']}", result.get("stack"))
        self._send_logs()  # the boot's lines reach the log before the supervisor's "started"
        self.booted = True
        gc.freeze()  # what the boot made lives as long as the worker: no full collection walks it again
        return {"report": context.report}


class SettingsView(dict):
    """Checked settings as sent by the supervisor: `settings.runtime.route_timeout`."""

    def __getattr__(self, name: str):
        try:
            value = self[name]
        except KeyError:
            raise AttributeError(name) from None
        return SettingsView(value) if isinstance(value, dict) else value


def name_process(name: str) -> None:
    """The process name `ps` and /proc/PID/comm show: m3m-spare, or the service it runs."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(15, name.encode()[:15], 0, 0, 0)  # 15 = PR_SET_NAME
    except OSError:
        pass


# Modules that libraries of a worker import and a worker never runs: httpx's command line (with
# click, rich and pygments: ~7 MB of every worker's RSS). None in sys.modules makes their import
# fail, which httpx expects (it then has no `httpx.main`).
UNUSED_MODULES = ("httpx._main",)


def skip_unused_modules() -> None:
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)


def prewarm() -> None:
    """Import the engine and the plugins now: a spare worker waiting for its boot message has
    paid for them already, so a start costs only the service's own boot."""
    name_process("m3m-spare")
    skip_unused_modules()
    from . import monkey

    monkey.load()

    import kernel.db  # noqa: F401

    from ..apis import process_apis

    process_apis(json.loads(os.environ.get("M3M_PLUGINS_BLOCKED") or "[]"))  # already built when forked


async def main() -> None:
    sock = socket.socket(fileno=int(os.environ["M3M_WORKER_FD"]))
    channel = await Channel.open(sock)
    worker = Worker(channel)
    loop = asyncio.get_running_loop()
    # Unhandled promise rejections and errors thrown in timers land here (PythonMonkey runs JS
    # jobs on this loop; the exception carries the JS stack). Policy: logged (see
    # unhandled_report for the level), the service goes on (one forgotten `.catch` must not
    # take a whole service down).
    loop.set_exception_handler(lambda _loop, context: worker.log(*unhandled_report(context)))
    tasks = [
        asyncio.create_task(channel.serve()),
        asyncio.create_task(worker.heartbeat()),
        asyncio.create_task(worker.flush_logs()),
    ]
    closed = asyncio.create_task(channel.closed.wait())
    finished = asyncio.create_task(worker.done.wait())
    await asyncio.wait([closed, finished], return_when=asyncio.FIRST_COMPLETED)
    worker._send_logs()
    await channel.drain()
    for task in tasks:
        task.cancel()


def unhandled_report(context: dict) -> tuple[str, str]:
    """(level, message) for what reached the loop's exception handler.

    PythonMonkey mirrors every JS promise as an asyncio Future, and a rejected one whose Future
    nobody read reaches this handler, also when JS code caught the rejection later
    (`try { await Promise.reject(e) } catch {}` is reported too: measured). Those reports cannot
    tell the two apart, so they are WARN and say so; an error thrown in a timer is a sure ERROR.
    """
    error = context.get("exception")
    if error is None:
        return "ERROR", f"unhandled: {context.get('message')}"
    text = str(error).strip() or type(error).__name__
    if "future" in context:
        return "WARN", f"a promise was rejected (reported even if a later await caught it): {text}"
    return "ERROR", f"unhandled error (the service goes on): {text}"


def die_with_parent() -> None:
    """SIGKILL this worker when the server dies, even by SIGKILL: no orphan keeps running.

    PR_SET_PDEATHSIG fires when the thread that spawned us ends; the supervisor spawns from the
    event loop's thread, which lives as long as the server. If the server died before this call,
    we are already orphaned (another parent): exit now.
    """
    parent = int(os.environ.get("M3M_WORKER_PARENT", "0"))
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        pass
    if parent and os.getppid() != parent:
        os._exit(0)


def limit_memory() -> None:
    """RLIMIT_DATA makes SpiderMonkey's allocations fail with a catchable out-of-memory."""
    limit = int(os.environ.get("M3M_WORKER_RLIMIT_DATA", "0"))
    if limit:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def limit_cpu() -> None:
    """This worker's nice value (runtime.cpu_nice), set before its engine starts any thread (a
    nice value is per thread, and threads inherit it): the server, where the CPU watch runs
    (cpu.py), is served before any worker, however many of them spin."""
    nice = int(os.environ.get("M3M_WORKER_NICE", "0"))
    if nice:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, max(nice, os.getpriority(os.PRIO_PROCESS, 0)))
        except OSError:
            pass


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group: the server stops its workers, running
    # their $service.shutdown handlers, rather than each dying on the spot.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    limit_memory()
    limit_cpu()
    prewarm()
    asyncio.run(main())
    sys.exit(0)
