"""Runtime control: the supervisor and log store of this server, and the desired state of every
service (collection `runtime_services`: project, desired, release, state, reason), which is what
autostart reads after a crash or a reboot of the server."""

from __future__ import annotations

import asyncio
import logging
import os

from kernel.db import put_document
from kernel.plugins import await_me_maybe, first_result
from kernel.times import now

from .apis import runtime_apis
from .engine.cpu import cpu_state
from .engine.logs import LogStore
from .engine.supervisor import Supervisor
from .metrics import Metrics

log = logging.getLogger("m3m.runtime")
NOTICES = 10_000  # notices from workers waiting for m3m_service_notice; past it they are dropped


class Runtime:
    def __init__(self, app) -> None:
        self.app = app
        self.apis = runtime_apis(app.m3m.pm)  # every plugin's $ API, for the typings
        settings = app.m3m.settings
        self.states = app.m3m.db["runtime_services"]
        self.logs = LogStore(settings.storage.path / "logs", settings.runtime.log_max_size, keep_runs=settings.runtime.log_runs)
        self.metrics = Metrics(self._memory, self._running)
        self.supervisor = Supervisor(
            settings, app.m3m.db.uri, self.logs, on_change=self.record, use_zygote=settings.runtime.fork_server,
            count=self.metrics.count, on_notice=self.notice,
        )
        self._autostart: asyncio.Task | None = None
        self.notices: asyncio.Queue = asyncio.Queue(NOTICES)
        self._notices: asyncio.Task | None = None

    async def open(self) -> None:
        await self.states.create_index("project", unique=True)
        self.logs.start()
        await self.supervisor.start_watching()
        self.metrics.start()
        self._autostart = asyncio.create_task(self.autostart())
        self._notices = asyncio.create_task(self.hand_notices())

    async def close(self) -> None:
        if self._autostart:
            self._autostart.cancel()
        await self.metrics.close()
        if self._notices:
            self._notices.cancel()
        await self.supervisor.close()
        await self.logs.close()

    async def record(self, project_id: str, snapshot: dict) -> None:
        self.logs.history.note(project_id, snapshot["state"], snapshot["reason"])  # how the run ended
        await put_document(
            self.states,
            {"project": project_id},
            {
                **{key: snapshot[key] for key in ("release", "state", "reason", "pid", "startedAt", "restarts")},
                "updated": now(),
            },
        )

    def notice(self, project_id: str, topic: str, data) -> None:
        """A binding's ctx.tell from a worker: queued for m3m_service_notice, in order."""
        try:
            self.notices.put_nowait((project_id, topic, data))
        except asyncio.QueueFull:
            log.warning("runtime: a notice %s of %s was dropped (%d waiting)", topic, project_id, NOTICES)

    async def hand_notices(self) -> None:
        app = self.app
        while True:
            project_id, topic, data = await self.notices.get()
            try:
                for result in app.m3m.pm.hook.m3m_service_notice(app=app, project_id=project_id, topic=topic, data=data):
                    await await_me_maybe(result)
            except Exception:  # one bad notice must not stop the ones after it
                log.exception("runtime: a notice %s of %s failed", topic, project_id)

    async def set_desired(self, project_id: str, desired: str, release: str | None = None) -> None:
        fields = {"desired": desired, "updated": now()}
        if release:
            fields["release"] = release
        await put_document(self.states, {"project": project_id}, fields)

    async def release_state(self, project_id: str) -> dict | None:
        """{release, running} for m3m_runtime_state: the live service, else the last one recorded."""
        live = self.supervisor.state(project_id)
        if live:
            return {"release": live["release"], "running": live["state"] == "running"}
        stored = await self.stored(project_id)
        return {"release": stored.get("release"), "running": False} if stored else None

    async def stored(self, project_id: str) -> dict | None:
        return await self.states.find_one({"project": project_id})

    async def release(self, project_id: str, version: str) -> dict | None:
        app = self.app
        return await first_result(app.m3m.pm.hook.m3m_release(app=app, project_id=project_id, version=version))

    def sleep_after(self, stored: dict | None) -> float | None:
        """Idle seconds before the project's service sleeps, None when it never does: its own
        choice (PUT .../runtime/sleep), else the server's runtime.sleep_when_idle."""
        settings = self.app.m3m.settings.runtime
        chosen = (stored or {}).get("sleep")
        return settings.sleep_after if (settings.sleep_when_idle if chosen is None else chosen) else None

    def cpu_share(self, stored: dict | None) -> float | None:
        """Cores the project's workers may use on average, None for no bound: its own share
        (PUT .../runtime/cpu: root may raise it, members may lower it), else runtime.cpu_share."""
        chosen = (stored or {}).get("cpu")
        share = self.app.m3m.settings.runtime.cpu_share if chosen is None else chosen
        return share or None

    async def set_cpu(self, project_id: str, share: float | None) -> None:
        await put_document(self.states, {"project": project_id}, {"cpu": share, "updated": now()})
        self.supervisor.set_cpu_share(project_id, self.cpu_share(await self.stored(project_id)))

    async def set_sleep(self, project_id: str, enabled: bool | None) -> None:
        await put_document(self.states, {"project": project_id}, {"sleep": enabled, "updated": now()})
        self.supervisor.set_sleep(project_id, self.sleep_after(await self.stored(project_id)))

    async def start(self, project: dict, release: dict) -> dict:
        self.metrics.slugs[project["id"]] = project["slug"]  # its label, even if it stops before a sample
        await self.set_desired(project["id"], "running", release["version"])
        stored = await self.stored(project["id"])
        return await self.supervisor.start(project, release, sleep_after=self.sleep_after(stored), cpu_share=self.cpu_share(stored))

    async def restart(self, project: dict, release: dict) -> dict:
        """Stop + start of the same release (the run's log goes on)."""
        await self.set_desired(project["id"], "running", release["version"])
        stored = await self.stored(project["id"])
        return await self.supervisor.restart(project["id"], project, release, sleep_after=self.sleep_after(stored),
                                             cpu_share=self.cpu_share(stored))

    async def stop(self, project_id: str) -> None:
        await self.set_desired(project_id, "stopped")
        await self.supervisor.stop(project_id)

    def state(self, project_id: str, stored: dict | None) -> dict:
        live = self.supervisor.state(project_id)
        if live:
            return live
        sleep_after = self.sleep_after(stored)
        return {
            "state": "stopped",
            "release": (stored or {}).get("release"),
            "pid": None,
            "startedAt": None,
            "restarts": 0,
            "memory": 0,
            "routes": [],
            "reason": None,
            "sleep": {"enabled": sleep_after is not None, "after": self.app.m3m.settings.runtime.sleep_after, "awake": None},
            "cpu": cpu_state(self.cpu_share(stored), None),
        }

    async def autostart(self) -> None:
        """Start every service whose desired state is running (after a crash or reboot)."""
        from kernel.tenancy import resolve_project

        # A few at a time: fifty new workers at once on two cores thrash, and each would wait
        # for all the others. Each start begins as soon as its slot is free, its project and
        # release read then: the first services answer while the rest are still queued.
        slots = asyncio.Semaphore(max(2, os.cpu_count() or 2))

        async def start(doc: dict) -> None:
            async with slots:
                project = await resolve_project(doc["project"])
                release = await self.release(doc["project"], doc.get("release") or "")
                if project is None or release is None:
                    log.warning("autostart: %s has no project or release %s any more", doc["project"], doc.get("release"))
                    return
                # The same run goes on: its log (what happened before the server went down) stays.
                # One that was asleep stays asleep until a request: a reboot costs it nothing.
                await self.supervisor.start(project, release, new_log=False, sleep_after=self.sleep_after(doc),
                                            asleep=doc.get("state") == "sleeping", cpu_share=self.cpu_share(doc))

        async with self.app.app_context():
            starts = [asyncio.create_task(start(doc)) async for doc in self.states.find({"desired": "running"})]
            if starts:
                log.info("autostart: starting %d services", len(starts))
                for result in await asyncio.gather(*starts, return_exceptions=True):
                    if isinstance(result, Exception):  # one that failed does not keep the others down
                        log.warning("autostart: a service did not start: %s", result)

    async def resume(self, project_id: str) -> None:
        """Start the project's service when its stored wish is to run (an imported project)."""
        from kernel.tenancy import resolve_project

        doc = await self.stored(project_id)
        if not doc or doc.get("desired") != "running":
            return
        async with self.app.app_context():
            project = await resolve_project(project_id)
        release = await self.release(project_id, doc.get("release") or "")
        if project is None or release is None:
            return
        await self.supervisor.start(project, release, sleep_after=self.sleep_after(doc), cpu_share=self.cpu_share(doc))

    async def forget(self, project_id: str) -> None:
        await self.supervisor.stop(project_id, record=False)
        await self.states.delete_many({"project": project_id})
        self.logs.delete(project_id)
        self.metrics.forget(project_id)

    # -- what the metrics read (metrics.py) ----------------------------------------------------

    def _memory(self, project_id: str) -> int:
        """The RSS of the service's worker from its last heartbeat (no /proc read), 0 when none runs."""
        service = self.supervisor.services.get(project_id)
        worker = service.worker if service else None
        return worker.rss if worker is not None and worker.alive else 0

    def _running(self) -> dict[str, str]:
        return {
            project_id: service.project["slug"]
            for project_id, service in self.supervisor.services.items()
            if service.state == "running" and service.worker is not None
        }
