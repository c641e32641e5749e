"""The supervisor, in the server process: one worker process per running service.

It starts, stops and restarts workers, restarts crashed ones with exponential backoff up to a
limit, kills what runs away (a route past its timeout whose worker stops answering, RSS over the
memory cap, no heartbeat, a stop past its deadline, a busy loop held at its CPU share: cpu.py
holds workers to their share) and recycles workers past an RSS or
request-count threshold with a hand-over that loses no request. It keeps no database: its owner
(the runtime plugin) persists states through `on_change`. docs/runtime/process.md tells the
policy; this file is its only implementation.

Nothing here may take the server down: background tasks log and swallow their failures, and
every worker a task spawned is killed when the task is cancelled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from .cpu import CpuGuard, cpu_state
from .ipc import ChannelClosed, RemoteError
from .logs import LogStore
from .process import WorkerProcess, crash_site, exit_reason
from .worker import rss_bytes
from .zygote import Zygote, ZygoteUnavailable

log = logging.getLogger("m3m.runtime")

WATCH_SECONDS = 0.5
HEARTBEAT_GRACE = 10.0  # a worker silent this long (beyond the route timeout) is frozen: replaced
STABLE_SECONDS = 60.0  # a run this long resets the crash counter
BOOT_TIMEOUT = 30.0  # at least; the route timeout when longer
RECYCLE_RETRY_SECONDS = 30.0  # after a failed recycling boot, the old worker goes on this long
ZYGOTE_RETRY_SECONDS = 5.0  # a dead fork server is started again at most this often


class ServiceUnavailable(Exception):
    """The service is not running (or crashed while answering); the route answers 503."""


class RouteTimeout(Exception):
    """The route did not answer within runtime.route_timeout; the route answers 504."""


class Service:
    """A project's service across worker replacements (crash restarts, recycling)."""

    def __init__(self, project: dict, release: dict) -> None:
        self.project = project
        self.release = release
        self.state = "starting"  # starting | running | crashed (stopped services are dropped)
        self.worker: WorkerProcess | None = None  # the one that takes requests
        self.workers: set[WorkerProcess] = set()  # every live process, retiring ones included
        self.restarts = 0
        self.started_at: str | None = None
        self.run_started = time.monotonic()
        self.reason: str | None = None
        self.stopping = False
        self.stopped = asyncio.Event()
        self.tasks: set[asyncio.Task] = set()  # cancelled by a stop
        self.reapers: set[asyncio.Task] = set()  # one per process, never cancelled
        self.recycling = False
        self.recycle_blocked_until = 0.0
        # Sleep when idle (docs/runtime/sleep.md): after `sleep_after` seconds without a request
        # (None: never) a worker whose bindings all let it sleep is stopped; the next request
        # wakes the service and is served once it runs.
        self.sleep_after: float | None = None
        self.idle_after: float | None = None  # what sleep_after would be (runtime.sleep_after): shown while off
        self.last_active = time.monotonic()
        self.sleep_task: asyncio.Task | None = None
        self.wake_task: asyncio.Task | None = None
        self.routes_asleep: list = []
        self.noted_routes: set[str] = set()  # routes whose dropped headers this run's log told (service_routes.py)
        self.cpu_share: float | None = None  # cores its workers may use on average (cpu.py); None: no bound

    @property
    def id(self) -> str:
        return self.project["id"]

    def snapshot(self) -> dict:
        worker = self.worker if self.worker and self.worker.alive else None
        return {
            "state": self.state,
            "release": self.release["version"],
            "pid": worker.pid if worker else None,
            "startedAt": self.started_at,
            "restarts": self.restarts,
            "memory": worker.rss if worker else 0,
            # asleep, its routes are those of its last worker: they still answer (waking it)
            "routes": worker.routes if worker else (self.routes_asleep if self.state == "sleeping" else []),
            "reason": self.reason,
            "sleep": {
                "enabled": self.sleep_after is not None,
                "after": self.sleep_after if self.sleep_after is not None else self.idle_after,
                # what keeps it awake now (a schedule, a timer), None when it may sleep
                "awake": worker.awake if worker else None,
            },
            "cpu": cpu_state(self.cpu_share, worker.cpu if worker else None),
        }


class Supervisor:
    def __init__(
        self,
        settings,
        db_uri: str,
        logs: LogStore,
        on_change: Callable[[str, dict], Awaitable[None]] | None = None,
        use_zygote: bool = True,
        count: Callable[[str, str], None] | None = None,
        on_notice: Callable[[str, str, object], None] | None = None,
    ) -> None:
        self.settings = settings
        self.runtime = settings.runtime
        self.db_uri = db_uri
        self.logs = logs
        self.on_change = on_change
        # count(project id, "recycles" | "restarts" | "crashes"): the runtime's metrics (metrics.py)
        self.count = count or (lambda project_id, what: None)
        self.on_notice = on_notice  # on_notice(project id, topic, data): a binding's ctx.tell
        self.services: dict[str, Service] = {}
        self.slugs: dict[str, str] = {}  # slug -> project id of the services here: the route's lookup
        self._watcher: asyncio.Task | None = None
        # One worker spawned ahead with the engine and plugins imported: a start, a crash
        # restart or a recycle takes it and pays only for the service's own boot.
        self._spare: asyncio.Task | None = None
        # The fork server workers come from (zygote.py); when it is down, workers are spawned
        # as new interpreters and it is started again, at most every ZYGOTE_RETRY_SECONDS.
        self.use_zygote = use_zygote
        self.zygote: Zygote | None = None
        self._zygote_tried = 0.0
        self.writes_held = 0  # backups reading now: every worker's writes wait (writes.py)
        # What a worker knows before its boot message: the plugins to leave out, so the fork
        # server builds the workers' APIs once with the right ones (apis.process_apis).
        self.worker_env = {
            "M3M_PLUGINS_BLOCKED": json.dumps(list(settings.plugins.blocked)),
            "M3M_WORKER_NICE": str(settings.runtime.cpu_nice),
        }
        self.cpu = CpuGuard(self.runtime, self._event)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start_watching(self) -> None:
        if self._watcher is None:
            self.cpu.open()  # before the fork server: with cgroups, the server's processes move first
            await self._ensure_zygote()
            self._watcher = asyncio.create_task(self._watch_forever())
            self._prepare_spare()

    async def _ensure_zygote(self) -> None:
        """Start the fork server if it is not up (first start, or after it died)."""
        if not self.use_zygote or (self.zygote and self.zygote.alive) or time.monotonic() - self._zygote_tried < ZYGOTE_RETRY_SECONDS:
            return
        self._zygote_tried = time.monotonic()
        if self.zygote is not None:
            await self.zygote.close()
        zygote = Zygote(self.worker_env)
        try:
            await zygote.start()
            self.zygote = zygote
            log.info("runtime: the fork server is up (pid %s)", zygote.process.pid)
        except (ZygoteUnavailable, OSError) as exc:
            log.warning("runtime: no fork server, workers are spawned: %s", exc)
            return
        if self._spare is not None:
            # A spare made while the fork server was down is a spawned one: a forked one is lighter.
            await self._discard_spare()
            self._prepare_spare()

    def _spawn_worker(self, on_event) -> "asyncio.Future[WorkerProcess]":
        return WorkerProcess.spawn(self.runtime.memory_limit, on_event, self.zygote, self.worker_env)

    def _prepare_spare(self) -> None:
        self._spare = asyncio.create_task(self._spawn_worker(_ignore_events))

    async def _discard_spare(self) -> None:
        """Kill the spare and wait for it, so that no process is left for the GC to close
        after the event loop is gone (asyncio then prints a traceback at exit)."""
        spare, self._spare = self._spare, None
        if spare is None:
            return
        try:
            worker = await spare
        except (asyncio.CancelledError, OSError):
            return
        worker.kill()
        await worker.wait()

    async def _take_worker(self, service: Service) -> WorkerProcess:
        """The spare if it is ready and alive (a new spare is prepared), else a fresh spawn."""
        spare, self._spare = self._spare, None
        worker = None
        if spare is not None and spare.done() and not spare.cancelled() and spare.exception() is None:
            worker = spare.result()
            if not worker.alive:
                worker.kill()
                worker = None
        elif spare is not None:
            spare.cancel()
            spare.add_done_callback(_kill_spawned)
        if self._watcher is not None:
            self._prepare_spare()
        if worker is None:
            return await self._spawn_worker(self._worker_event(service))
        handler = self._worker_event(service)
        worker.channel.on_event = lambda message: handler(worker, message)
        return worker

    async def start(self, project: dict, release: dict, new_log: bool = True,
                    sleep_after: float | None = None, asleep: bool = False, cpu_share: float | None = None) -> dict:
        """Stop what runs for the project, then boot `release` ({version, code}) in a new run.

        Answers once the service runs or crashed. A stop meanwhile cancels the boot. `asleep`
        (autostart of a service that was sleeping) boots nothing: the first request does."""
        await self.stop(project["id"], record=False)
        service = Service(project, release)
        service.sleep_after = sleep_after
        service.idle_after = self.runtime.sleep_after
        service.cpu_share = cpu_share
        self.services[project["id"]] = service
        self.slugs[project["slug"]] = project["id"]
        if new_log:
            self.logs.new_run(project["id"], release["version"])
        if asleep and sleep_after is not None:
            service.state = "sleeping"
            self._event(service, "INFO", f"release {release['version']} is asleep: the next request wakes it")
            await self._changed(service)
            return service.snapshot()
        self._event(service, "INFO", f"starting release {release['version']}")
        await self._changed(service)
        boot = self._spawn(service, self._boot(service))
        await asyncio.wait([boot])  # not `await boot`: a stop cancels the boot, not this caller
        if service.stopping:
            await service.stopped.wait()
        return service.snapshot()

    async def restart(self, project_id: str, project: dict, release: dict, sleep_after: float | None = None,
                      cpu_share: float | None = None) -> dict:
        """Stop + start of the same release; the run's log goes on (it shows both halves)."""
        if project_id in self.services:
            self._event(self.services[project_id], "INFO", "restarting")
        return await self.start(project, release, new_log=project_id not in self.services, sleep_after=sleep_after,
                                cpu_share=cpu_share)

    def set_sleep(self, project_id: str, sleep_after: float | None) -> None:
        """Sleep when idle on (after that many idle seconds) or off; off wakes a sleeping service."""
        service = self.services.get(project_id)
        if service is None:
            return
        service.sleep_after = sleep_after
        service.last_active = time.monotonic()
        if sleep_after is None and service.state == "sleeping":
            self._wake_up(service)

    def set_cpu_share(self, project_id: str, share: float | None) -> None:
        """A new CPU share (cores; None: no bound) for the service's workers, from now on."""
        service = self.services.get(project_id)
        if service is None:
            return
        service.cpu_share = share
        for worker in service.workers:
            self.cpu.set_share(service, worker, share)

    async def stop(self, project_id: str, record: bool = True) -> dict | None:
        """$service.shutdown with the deadline, then the process ends. A boot in progress is
        cancelled (its worker killed: start never resolved, so no shutdown handlers)."""
        service = self.services.pop(project_id, None)
        if service is None:
            return None
        if self.slugs.get(service.project["slug"]) == project_id:
            del self.slugs[service.project["slug"]]
        service.stopping = True
        # Shielded: a caller that goes away (a client hanging up) must not leave workers behind.
        return await asyncio.shield(asyncio.create_task(self._stop(service, record)))

    async def _stop(self, service: Service, record: bool) -> dict:
        tasks = list(service.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        current = service.worker if service.worker and service.worker.alive else None
        if current or service.state == "starting":
            self._event(service, "INFO", "stopping")
        try:
            if current:
                await self._stop_worker(service, current)
        finally:
            for worker in list(service.workers):  # a retiring worker of an unfinished hand-over
                worker.kill()
                await worker.wait()
            service.state = "stopped"
            service.worker = None
            service.stopped.set()
        self._event(service, "INFO", "stopped")
        if record:
            await self._changed(service)
        return service.snapshot()

    async def close(self) -> None:
        """The server stops: stop every worker, leaving desired states as they are (autostart)."""
        if self._watcher:
            self._watcher.cancel()
        await self._discard_spare()
        await asyncio.gather(*(self.stop(pid, record=False) for pid in list(self.services)), return_exceptions=True)
        if self.zygote is not None:
            await self.zygote.close()

    def find(self, ref: str) -> Service | None:
        """The service of the project named by id or slug (as it was when the service started)."""
        return self.services.get(ref) or self.services.get(self.slugs.get(ref, ""))

    def state(self, project_id: str) -> dict | None:
        service = self.services.get(project_id)
        return service.snapshot() if service else None

    # -- requests ------------------------------------------------------------------------------

    async def request(self, project_id: str, request: dict, body: bytes) -> tuple[dict, bytes]:
        """A route call: the request's head (method, path, query, headers, ip) and body in, the
        response's head (status, headers, encoding) and body out."""
        service = self.services.get(project_id)
        if service is not None and (service.state == "sleeping" or (service.wake_task and not service.wake_task.done())):
            # Held, not refused: requests that come while it sleeps or wakes up are served by it.
            await asyncio.wait([self._wake_up(service)])
        if service is None or service.state != "running" or service.worker is None:
            raise ServiceUnavailable("the service is not running")
        worker = service.worker  # from here on in_flight counts us: a hand-over waits for us
        service.last_active = time.monotonic()
        try:
            answer, response_body = await worker.request({"t": "request", "req": request}, self.runtime.route_timeout, body)
        except asyncio.TimeoutError:
            self._spawn(service, self._check_frozen(service, worker))
            raise RouteTimeout(f"the route did not answer within {self.runtime.route_timeout:g}s") from None
        except ChannelClosed:
            raise ServiceUnavailable("the service stopped while answering") from None
        finally:
            service.last_active = time.monotonic()
        if worker is service.worker and not service.recycling and self._due_for_recycling(service, worker):
            service.recycling = True
            self._spawn(service, self._recycle(service))
        return answer["response"], response_body

    # -- backups ----------------------------------------------------------------------------------

    @asynccontextmanager
    async def writes_held_back(self, timeout: float):
        """While a backup reads: every worker's writes wait (a worker booting meanwhile starts
        held); yields the number of writes still under way after `timeout` (0: consistent)."""
        self.writes_held += 1
        try:
            left = await asyncio.gather(*(self._tell_worker(worker, {"t": "hold_writes", "timeout": timeout}, timeout + 5) for worker in self._live_workers()))
            yield sum(answer.get("passing", 0) for answer in left)
        finally:
            self.writes_held -= 1
            if self.writes_held == 0:
                await asyncio.gather(*(self._tell_worker(worker, {"t": "release_writes"}, 5) for worker in self._live_workers()))

    def _live_workers(self) -> list[WorkerProcess]:
        return [worker for service in self.services.values() for worker in service.workers if worker.alive]

    @staticmethod
    async def _tell_worker(worker: WorkerProcess, message: dict, timeout: float) -> dict:
        try:
            answer, _ = await worker.channel.request(message, timeout)
            return answer
        except (asyncio.TimeoutError, ChannelClosed, RemoteError):
            return {}  # a worker that ends or hangs now: the supervisor's own watch deals with it

    # -- sleep when idle --------------------------------------------------------------------------

    def _may_sleep(self, service: Service, worker: WorkerProcess) -> bool:
        return (
            service.sleep_after is not None
            and worker.awake is None
            and worker.in_flight == 0
            and not service.recycling
            and time.monotonic() - service.last_active >= service.sleep_after
        )

    async def _sleep(self, service: Service, worker: WorkerProcess) -> None:
        """Stop the idle worker ($service.shutdown runs); the service stays, asleep."""
        if service.worker is not worker or service.stopping or not self._may_sleep(service, worker):
            return  # a request came (or the worker went) since the watcher looked
        idle = time.monotonic() - service.last_active
        service.state = "sleeping"
        service.routes_asleep = worker.routes
        service.worker = None  # requests from here on wait for the wake-up, which waits for this
        self._event(service, "INFO", f"sleeping after {idle:.0f}s without a request (pid {worker.pid}): the next request wakes it")
        await self._changed(service)
        await self._stop_worker(service, worker)

    def _wake_up(self, service: Service) -> asyncio.Task:
        """The one wake-up of a sleeping service, shared by every request that waits for it."""
        if service.wake_task is None or service.wake_task.done():
            service.wake_task = self._spawn(service, self._wake(service))
        return service.wake_task

    async def _wake(self, service: Service) -> None:
        began = time.monotonic()
        if service.sleep_task is not None and not service.sleep_task.done():
            await asyncio.wait([service.sleep_task])  # a request during the sleep-down
        if service.stopping or service.state != "sleeping":
            return
        self._event(service, "INFO", "waking up: a request came")
        await self._boot(service)
        service.last_active = time.monotonic()
        if service.state == "running":
            self._event(service, "INFO", f"woken up in {(time.monotonic() - began) * 1000:.0f} ms")

    # -- internals -----------------------------------------------------------------------------

    def _spawn(self, service: Service, coro) -> asyncio.Task:
        task = asyncio.create_task(self._guarded(service, coro))
        service.tasks.add(task)
        task.add_done_callback(service.tasks.discard)
        return task

    async def _guarded(self, service: Service, coro) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must cost one service at most, never the server
            log.exception("runtime: supervisor task failed for %s", service.id)
            self._event(service, "ERROR", "internal error in the supervisor (see the server log)")

    def _event(self, service: Service, level: str, message: str) -> None:
        self.logs.write(service.id, level, f"[runtime] {message}")

    async def _changed(self, service: Service) -> None:
        if self.on_change is None:
            return
        try:
            await self.on_change(service.id, service.snapshot())
        except Exception:  # the database may be away; the service goes on regardless
            log.exception("runtime: could not record the state of %s", service.id)

    def _worker_event(self, service: Service) -> Callable[[WorkerProcess, dict], None]:
        def handle(worker: WorkerProcess, message: dict) -> None:
            if message.get("t") == "log":
                for stamp, level, text in message.get("lines", []):
                    self.logs.write(service.id, level, text, stamp)
                    if level == "ERROR":
                        self.count(service.id, "js_errors")
            elif message.get("t") == "heartbeat":
                worker.heartbeat(message)
            elif message.get("t") == "notice" and self.on_notice is not None and isinstance(message.get("topic"), str):
                self.on_notice(service.id, message["topic"], message.get("data"))

        return handle

    async def _new_worker(self, service: Service) -> WorkerProcess:
        """Spawn and boot a worker for the service's release; RemoteError when boot fails.
        Cancelled (a stop), the worker is killed: no process outlives the task that made it."""
        try:
            worker = await self._take_worker(service)
        except OSError as exc:  # fork failed: no memory, too many processes or files
            raise RemoteError(f"the worker could not be started: {exc}") from None
        service.workers.add(worker)
        self.cpu.place(service, worker, service.cpu_share)
        reaper = asyncio.create_task(self._guarded(service, self._reap(service, worker)))
        service.reapers.add(reaper)
        reaper.add_done_callback(service.reapers.discard)
        try:
            answer, _ = await worker.channel.request(
                {
                    "t": "boot",
                    "project": service.project,
                    "release": service.release,
                    "settings": self.settings.model_dump(mode="json"),
                    "db": {"uri": self.db_uri},
                    "hold_writes": self.writes_held > 0,
                },
                timeout=max(self.runtime.route_timeout, BOOT_TIMEOUT),
            )
        except RemoteError:
            worker.kill()
            raise
        except ChannelClosed:
            try:
                code = await asyncio.wait_for(worker.wait(), 5)
            except asyncio.TimeoutError:
                worker.kill()
                code = await worker.wait()
            raise RemoteError(f"{exit_reason(code)} while booting", worker.stderr_tail()) from None
        except asyncio.TimeoutError:
            worker.kill()
            raise RemoteError(f"booting took longer than {max(self.runtime.route_timeout, BOOT_TIMEOUT):g}s") from None
        except BaseException:
            worker.kill()
            raise
        worker.routes = answer.get("report", {}).get("routes", [])
        worker.last_heartbeat = time.monotonic()
        return worker

    async def _reap(self, service: Service, worker: WorkerProcess) -> None:
        """Every worker is waited for; one that dies while taking requests is a crash."""
        code = await worker.process.wait()
        self.cpu.forget(service, worker)
        service.workers.discard(worker)
        if service.stopping or worker.retiring or service.worker is not worker:
            return
        await worker.wait()  # the rest of its stderr
        service.worker = None
        stderr = worker.stderr_tail()
        await self._crashed(service, exit_reason(code) + crash_site(stderr), stderr)

    async def _boot(self, service: Service) -> None:
        service.state = "starting"
        self._event(service, "INFO", "booting")
        try:
            worker = await self._new_worker(service)
        except RemoteError as exc:
            await self._crashed(service, str(exc), exc.stack)
            return
        service.worker = worker
        service.state = "running"
        service.reason = None
        service.run_started = time.monotonic()
        service.started_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._event(service, "INFO", f"started (pid {worker.pid})")
        await self._changed(service)

    async def _crashed(self, service: Service, reason: str, stack: str | None, stable: bool = True) -> None:
        """State crashed with the reason; a restart after restart_backoff * 2^n, n < restart_limit.
        A run that lasted STABLE_SECONDS resets the count, unless it was not `stable` (it spent
        its time held at its CPU share: a busy loop restarted forever would never stay down)."""
        service.state = "crashed"
        service.reason = reason
        service.worker = None
        log.warning("runtime: the service of %s crashed: %s", service.project.get("slug", service.id), reason)
        self.count(service.id, "crashes")
        self._event(service, "ERROR", f"crashed: {reason}" + (f"\n{stack.strip()}" if stack and stack.strip() else ""))
        if stable and time.monotonic() - service.run_started > STABLE_SECONDS:
            service.restarts = 0
        await self._changed(service)
        if service.restarts >= self.runtime.restart_limit:
            self._event(service, "ERROR", f"not restarting: it crashed {service.restarts + 1} times in a row")
            return
        delay = self.runtime.restart_backoff * (2**service.restarts)
        service.restarts += 1
        self.count(service.id, "restarts")
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
            answer, _ = await worker.channel.request({"t": "stop"}, deadline)
            result = answer.get("shutdown", {})
            if "error" in result:
                self._event(service, "ERROR", f"$service.shutdown failed: {result['error']}\n{result.get('stack') or ''}".rstrip())
            await asyncio.wait_for(worker.process.wait(), 2)
        except asyncio.TimeoutError:
            self._event(service, "WARN", f"killed (pid {worker.pid}): did not stop within {deadline:g}s")
        except (ChannelClosed, RemoteError):
            pass
        finally:  # cancelled or not, the process ends
            worker.kill()
        await worker.wait()

    async def _replace(self, service: Service, worker: WorkerProcess, why: str, stable: bool = True) -> None:
        """Kill a worker that cannot go on; a fresh one boots through the crash path (backoff)."""
        if service.worker is not worker or service.stopping:
            return  # already replaced (several timed-out requests may ask at once)
        worker.kill()
        self._event(service, "ERROR", f"killed (pid {worker.pid}): {why}")
        await self._crashed(service, f"killed: {why}", None, stable)

    async def _check_frozen(self, service: Service, worker: WorkerProcess) -> None:
        """A route timed out: a worker that still answers a ping only has a slow route; one that
        does not is stuck in JS that never yields (`while(true){}`) and only a kill stops it."""
        if service.worker is worker and not await worker.responsive():
            await self._replace(service, worker, f"a route ran past {self.runtime.route_timeout:g}s and the worker stopped answering (runaway JS?)")

    def _due_for_recycling(self, service: Service, worker: WorkerProcess) -> bool:
        if time.monotonic() < service.recycle_blocked_until:
            return False
        return worker.requests >= self.runtime.recycle_requests or worker.rss >= self.runtime.recycle_rss

    async def _recycle(self, service: Service) -> None:
        """Hand-over: boot a fresh worker while the old one serves, switch new requests to it,
        then stop the old one once its in-flight requests are answered. No request fails."""
        old = service.worker
        try:
            fresh = await self._new_worker(service)
        except RemoteError as exc:
            self._event(service, "ERROR", f"recycling failed, the current worker goes on: {exc}")
            service.recycle_blocked_until = time.monotonic() + RECYCLE_RETRY_SECONDS
            service.recycling = False
            return
        if service.stopping or old is None or service.worker is not old:
            fresh.kill()  # the old one crashed or was replaced meanwhile: that path owns the service
            service.recycling = False
            return
        old.retiring = True
        service.worker = fresh
        service.recycling = False
        why = f"{old.requests} requests" if old.requests >= self.runtime.recycle_requests else f"RSS {old.rss // 2**20} MB"
        self._event(service, "INFO", f"recycled: pid {old.pid} -> {fresh.pid} after {why}")
        self.count(service.id, "recycles")
        await self._changed(service)
        while old.in_flight and old.alive:  # each ends within the route timeout
            await asyncio.sleep(0.01)
        await self._stop_worker(service, old)

    def _heartbeat_grace(self) -> float:
        # A route may keep JS busy up to the route timeout; the timeout path handles that case.
        return max(HEARTBEAT_GRACE, self.runtime.route_timeout + 5)

    async def _watch_forever(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                self._watch_once()
                await self._ensure_zygote()  # a crashed fork server comes back; its workers never left
            except Exception:
                log.exception("runtime: the watcher failed (it goes on)")

    def _watch_once(self) -> None:
        for service in list(self.services.values()):
            for each in list(service.workers):  # booting and retiring ones are held to their share too
                why = self.cpu.watch(service, each)
                if why and each is service.worker and service.state == "running":
                    self._spawn(service, self._replace(service, each, why, stable=False))
            worker = service.worker
            if worker is None or not worker.alive or service.state != "running":
                continue
            # Heartbeats stop while JS does not yield, and a runaway allocation is just that: /proc.
            rss = max(worker.rss, rss_bytes(worker.pid))
            if rss > self.runtime.memory_limit:
                why = f"memory {rss // 2**20} MB over the limit of {self.runtime.memory_limit // 2**20} MB"
                self._spawn(service, self._replace(service, worker, why))
            elif time.monotonic() - worker.last_heartbeat > self._heartbeat_grace():
                self._spawn(service, self._replace(service, worker, f"no heartbeat for {self._heartbeat_grace():g}s (runaway JS?)"))
            elif self._may_sleep(service, worker) and (service.sleep_task is None or service.sleep_task.done()):
                service.sleep_task = self._spawn(service, self._sleep(service, worker))


def _ignore_events(worker: WorkerProcess, message: dict) -> None:
    """A spare has no service yet: its heartbeats only keep it fresh."""
    if message.get("t") == "heartbeat":
        worker.heartbeat(message)


def _kill_spawned(task: asyncio.Task) -> None:
    """A spare spawn that is no longer wanted: kill its process if it got that far."""
    if not task.cancelled() and task.exception() is None:
        task.result().kill()
