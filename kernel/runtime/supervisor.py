"""The supervisor, in the server process: one worker process per running service.

It starts, stops and restarts workers, restarts crashed ones with exponential backoff up to a
limit, kills what runs away (a route past its timeout whose worker stops answering, RSS over the
memory cap, a stop past its deadline) and recycles workers past an RSS or request-count
threshold with a hand-over that loses no request. It keeps no database: its owner (the runtime
plugin) persists desired states through `on_change`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from .ipc import Channel, ChannelClosed, RemoteError
from .logs import LogStore
from .worker import rss_bytes

log = logging.getLogger("m3m.runtime")

WATCH_SECONDS = 0.5
HEARTBEAT_GRACE = 10.0  # a worker silent this long is frozen (runaway JS): killed and replaced
STABLE_SECONDS = 60.0  # a run this long resets the crash counter


class ServiceUnavailable(Exception):
    """The service is not running (or crashed while answering); the route answers 503."""


class RouteTimeout(Exception):
    """The route did not answer within runtime.route_timeout; the route answers 504."""


class WorkerProcess:
    """One spawned worker and its channel."""

    def __init__(self, process: asyncio.subprocess.Process, channel: Channel, serve_task: asyncio.Task) -> None:
        self.process = process
        self.channel = channel
        self.serve_task = serve_task
        self.in_flight = 0
        self.requests = 0
        self.last_heartbeat = time.monotonic()
        self.routes: list = []
        self.retiring = False

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
            # Data segment room for the engine: twice the RSS cap, so JS gets a catchable
            # out-of-memory while the supervisor's RSS watch does the killing.
            "M3M_WORKER_RLIMIT_DATA": str(max(memory_limit * 2, 512 * 1024 * 1024)),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kernel.runtime.worker",
            pass_fds=[child.fileno()], env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        child.close()
        channel = await Channel.open(parent)
        worker = cls(process, channel, asyncio.create_task(channel.serve()))
        channel.on_event = lambda message: on_event(worker, message)
        return worker

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
        if self.alive:
            try:
                self.process.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.channel.close()

    async def stderr_tail(self) -> str:
        """What the worker printed before dying (a Python traceback, a MOZ_CRASH line)."""
        if self.process.stderr is None:
            return ""
        try:
            data = await asyncio.wait_for(self.process.stderr.read(), 1.0)
        except (asyncio.TimeoutError, ValueError):
            return ""
        return data.decode(errors="replace")[-4000:]


class Service:
    """A project's service across worker replacements."""

    def __init__(self, project: dict, release: dict) -> None:
        self.project = project
        self.release = release
        self.state = "starting"
        self.worker: WorkerProcess | None = None
        self.restarts = 0
        self.started_at: str | None = None
        self.run_started = time.monotonic()
        self.reason: str | None = None
        self.stopping = False
        self.tasks: set[asyncio.Task] = set()
        self.recycling = False

    @property
    def id(self) -> str:
        return self.project["id"]

    def snapshot(self) -> dict:
        worker = self.worker
        return {
            "state": self.state,
            "release": self.release["version"],
            "pid": worker.pid if worker and worker.alive else None,
            "startedAt": self.started_at,
            "restarts": self.restarts,
            "memory": rss_bytes(worker.pid) if worker and worker.alive else 0,
            "routes": worker.routes if worker else [],
            "reason": self.reason,
        }


class Supervisor:
    def __init__(
        self,
        settings,
        db_uri: str,
        logs: LogStore,
        on_change: Callable[[str, dict], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.runtime = settings.runtime
        self.db_uri = db_uri
        self.logs = logs
        self.on_change = on_change
        self.services: dict[str, Service] = {}
        self._watcher: asyncio.Task | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start_watching(self) -> None:
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch_forever())

    async def start(self, project: dict, release: dict) -> dict:
        """Stop what runs for the project, then boot `release` ({version, code}) in a new run."""
        await self.stop(project["id"], record=False)
        service = Service(project, release)
        self.services[project["id"]] = service
        self.logs.new_run(project["id"])
        self._event(service, "INFO", f"starting release {release['version']}")
        await self._changed(service)
        await self._boot(service)
        return service.snapshot()

    async def stop(self, project_id: str, record: bool = True) -> dict | None:
        service = self.services.pop(project_id, None)
        if service is None:
            return None
        service.stopping = True
        for task in list(service.tasks):
            task.cancel()
        if service.worker:
            self._event(service, "INFO", "stopping")
            await self._stop_worker(service, service.worker)
            self._event(service, "INFO", "stopped")
        service.state = "stopped"
        if record:
            await self._changed(service)
        return service.snapshot()

    async def close(self) -> None:
        """The server stops: stop every worker, leaving desired states as they are (autostart)."""
        if self._watcher:
            self._watcher.cancel()
        await asyncio.gather(*(self.stop(pid, record=False) for pid in list(self.services)), return_exceptions=True)

    def state(self, project_id: str) -> dict | None:
        service = self.services.get(project_id)
        return service.snapshot() if service else None

    # -- requests ------------------------------------------------------------------------------

    async def request(self, project_id: str, request: dict) -> dict:
        service = self.services.get(project_id)
        if service is None or service.state != "running" or service.worker is None:
            raise ServiceUnavailable("the service is not running")
        worker = service.worker
        try:
            answer = await worker.request({"t": "request", "req": request}, self.runtime.route_timeout)
        except asyncio.TimeoutError:
            self._spawn(service, self._check_frozen(service, worker))
            raise RouteTimeout(f"the route did not answer within {self.runtime.route_timeout:g}s") from None
        except ChannelClosed:
            raise ServiceUnavailable("the service stopped while answering") from None
        if self._due_for_recycling(worker) and not service.recycling:
            service.recycling = True
            self._spawn(service, self._recycle(service))
        return answer["res"]

    # -- internals -----------------------------------------------------------------------------

    def _spawn(self, service: Service, coro) -> None:
        task = asyncio.create_task(coro)
        service.tasks.add(task)
        task.add_done_callback(service.tasks.discard)

    def _event(self, service: Service, level: str, message: str) -> None:
        self.logs.write(service.id, level, f"[runtime] {message}")

    async def _changed(self, service: Service) -> None:
        if self.on_change:
            await self.on_change(service.id, service.snapshot())

    def _worker_event(self, service: Service) -> Callable[[WorkerProcess, dict], None]:
        def handle(worker: WorkerProcess, message: dict) -> None:
            if message.get("t") == "log":
                for stamp, level, text in message.get("lines", []):
                    self.logs.write(service.id, level, text, stamp)
            elif message.get("t") == "heartbeat":
                worker.last_heartbeat = time.monotonic()

        return handle

    async def _new_worker(self, service: Service) -> WorkerProcess:
        """Spawn and boot a worker for the service's release; RemoteError when boot fails."""
        worker = await WorkerProcess.spawn(self.runtime.memory_limit, self._worker_event(service))
        try:
            answer = await worker.channel.request(
                {
                    "t": "boot",
                    "project": service.project,
                    "release": service.release,
                    "settings": self.settings.model_dump(mode="json"),
                    "db": {"uri": self.db_uri},
                },
                timeout=max(self.runtime.route_timeout, 30),
            )
        except (RemoteError, ChannelClosed, asyncio.TimeoutError) as exc:
            stderr = ""
            if isinstance(exc, ChannelClosed):
                await asyncio.wait_for(worker.process.wait(), 5)
                stderr = await worker.stderr_tail()
            worker.kill()
            if isinstance(exc, RemoteError):
                raise
            raise RemoteError(f"the worker died while booting: {exc}", stderr) from None
        worker.routes = answer.get("report", {}).get("routes", [])
        worker.last_heartbeat = time.monotonic()
        return worker

    async def _boot(self, service: Service) -> None:
        service.state = "starting"
        self._event(service, "INFO", "booting")
        try:
            worker = await self._new_worker(service)
        except RemoteError as exc:
            await self._crashed(service, str(exc), exc.stack)
            return
        if service.stopping:
            worker.kill()
            return
        service.worker = worker
        service.state = "running"
        service.reason = None
        service.run_started = time.monotonic()
        service.started_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._event(service, "INFO", f"started (pid {worker.pid})")
        self._spawn(service, self._wait_exit(service, worker))
        await self._changed(service)

    async def _wait_exit(self, service: Service, worker: WorkerProcess) -> None:
        code = await worker.process.wait()
        if service.stopping or worker.retiring or service.worker is not worker:
            return
        stderr = await worker.stderr_tail()
        await self._crashed(service, f"the worker exited with code {code}", stderr)

    async def _crashed(self, service: Service, reason: str, stack: str | None) -> None:
        service.state = "crashed"
        service.reason = reason
        service.worker = None
        self._event(service, "ERROR", f"crashed: {reason}" + (f"\n{stack.strip()}" if stack and stack.strip() else ""))
        await self._changed(service)
        if time.monotonic() - service.run_started > STABLE_SECONDS:
            service.restarts = 0
        if service.restarts >= self.runtime.restart_limit:
            self._event(service, "ERROR", f"not restarting: it crashed {service.restarts + 1} times in a row")
            return
        delay = self.runtime.restart_backoff * (2 ** service.restarts)
        service.restarts += 1
        self._event(service, "WARN", f"restart {service.restarts} of {self.runtime.restart_limit} in {delay:g}s")
        self._spawn(service, self._restart_later(service, delay))

    async def _restart_later(self, service: Service, delay: float) -> None:
        await asyncio.sleep(delay)
        if not service.stopping and self.services.get(service.id) is service:
            await self._boot(service)

    async def _stop_worker(self, service: Service, worker: WorkerProcess) -> None:
        """$service.shutdown with the deadline, then the process ends (SIGKILL past it)."""
        worker.retiring = True
        deadline = self.runtime.shutdown_deadline
        try:
            answer = await worker.channel.request({"t": "stop"}, deadline)
            result = answer.get("shutdown", {})
            if "error" in result:
                self._event(service, "ERROR", f"$service.shutdown failed: {result['error']}")
            await asyncio.wait_for(worker.process.wait(), 2)
        except asyncio.TimeoutError:
            self._event(service, "WARN", f"killed: did not stop within {deadline:g}s")
        except (ChannelClosed, RemoteError):
            pass
        worker.kill()
        await worker.process.wait()

    async def _replace(self, service: Service, why: str) -> None:
        """Kill a worker that cannot go on; a fresh one boots through the crash path (backoff)."""
        worker = service.worker
        if worker is None:
            return
        worker.retiring = True
        worker.kill()
        self._event(service, "ERROR", f"killed: {why}")
        await self._crashed(service, f"killed: {why}", None)

    async def _check_frozen(self, service: Service, worker: WorkerProcess) -> None:
        if service.worker is worker and not await worker.responsive():
            await self._replace(service, f"a route ran past {self.runtime.route_timeout:g}s and the worker stopped answering (runaway JS?)")

    def _due_for_recycling(self, worker: WorkerProcess) -> bool:
        return worker.requests >= self.runtime.recycle_requests or rss_bytes(worker.pid) >= self.runtime.recycle_rss

    async def _recycle(self, service: Service) -> None:
        """Boot a fresh worker, switch to it, then retire the old one once its requests are done."""
        old = service.worker
        try:
            fresh = await self._new_worker(service)
        except RemoteError as exc:
            self._event(service, "ERROR", f"recycling failed, the current worker goes on: {exc}")
            service.recycling = False
            return
        if service.stopping or service.worker is not old:
            fresh.kill()
            return
        service.worker = fresh
        self._spawn(service, self._wait_exit(service, fresh))
        service.recycling = False
        self._event(service, "INFO", f"recycled: pid {old.pid} -> {fresh.pid} after {old.requests} requests")
        await self._changed(service)
        if old:
            old.retiring = True
            while old.in_flight:
                await asyncio.sleep(0.01)
            await self._stop_worker(service, old)

    async def _watch_forever(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            for service in list(self.services.values()):
                worker = service.worker
                if worker is None or not worker.alive or service.state != "running":
                    continue
                rss = rss_bytes(worker.pid)
                if rss > self.runtime.memory_limit:
                    self._spawn(service, self._replace(service, f"memory {rss // 2**20} MB over the limit of {self.runtime.memory_limit // 2**20} MB"))
                elif time.monotonic() - worker.last_heartbeat > HEARTBEAT_GRACE:
                    self._spawn(service, self._replace(service, f"no heartbeat for {HEARTBEAT_GRACE:g}s (runaway JS?)"))
