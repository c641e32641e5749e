"""The jobs of one service: APScheduler's AsyncIOScheduler on the worker's event loop.

Triggers are built here from what service code passes ('5m', '*/5 * * * *'); a bad one is a
ValueError at registration (the JS caller gets an Error). When a job fires, `fire(job_id)` calls
the service's JS callback through the boundary; a callback that throws is logged with its JS
stack and the job goes on firing. Times are UTC. The scheduler starts with the service ($service
start) and stops first thing when it stops, so no job runs during shutdown or past the run.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from builtin_plugins.runtime.sdk import JsError

UTC = timezone.utc
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
INTERVAL = re.compile(r"^(?:\d+[smhd])+$")
MAX_INTERVAL = 366 * 86400
CRON_ALIASES = {
    "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
}
# crontab weekdays: 0 and 7 are Sunday. APScheduler counts from Monday, so weekdays go over as names.
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

logging.getLogger("apscheduler").setLevel(logging.ERROR)  # what matters reaches the run log instead


def interval_seconds(spec: str) -> int:
    """'30s', '5m', '2h', '1d', or combined '1h30m' -> seconds (at least 1, at most 366 days)."""
    text = spec.strip().lower() if isinstance(spec, str) else ""
    if not INTERVAL.match(text):
        raise ValueError(
            f"$schedule.every: {spec!r} is not an interval; write a number and a unit (s, m, h, d): '30s', '5m', '1h30m'"
        )
    seconds = sum(int(n) * UNITS[unit] for n, unit in re.findall(r"(\d+)([smhd])", text))
    if not 1 <= seconds <= MAX_INTERVAL:
        raise ValueError(f"$schedule.every: {spec!r} is out of range (1s to 366d)")
    return seconds


def _weekdays(field: str) -> str:
    """A crontab weekday field (0-7, sun-sat, ranges, lists, steps) as APScheduler day names."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"bad step in the weekday field {field!r}")
        if base == "*":
            first, last = 0, 6
        else:
            ends = [_day(value, field) for value in base.split("-")]
            if len(ends) > 2:
                raise ValueError(f"bad range in the weekday field {field!r}")
            first, last = ends[0], ends[-1] if len(ends) == 2 else (6 if step else ends[0])
            if last == 0 and first > 0:
                last = 7  # 5-0 or 1-7: up to Sunday
        if first > last:
            raise ValueError(f"the weekday range {base!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step or 1))
    return ",".join(DAY_NAMES[day] for day in sorted(days))


def _day(value: str, field: str) -> int:
    if value.isdigit() and int(value) <= 7:
        return int(value)
    if value.lower()[:3] in DAY_NAMES and len(value) == 3:
        return DAY_NAMES.index(value.lower())
    raise ValueError(f"{value!r} is not a weekday (0-7 or sun-sat) in {field!r}")


def cron_trigger(expression: str) -> CronTrigger:
    """A crontab line (minute hour day month weekday, or @daily and friends), in UTC."""
    text = expression.strip() if isinstance(expression, str) else ""
    text = CRON_ALIASES.get(text.lower(), text)
    fields = text.split()
    try:
        if len(fields) != 5:
            raise ValueError(f"it has {len(fields)} fields, not 5 (minute hour day month weekday)")
        minute, hour, day, month, weekday = fields
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekday), timezone=UTC
        )
    except ValueError as exc:
        raise ValueError(f"$schedule.cron: {expression!r} is not a cron expression: {exc}") from None


def trigger_for(kind: str, spec: str | None):
    if kind == "every":
        return IntervalTrigger(seconds=interval_seconds(spec), timezone=UTC), f"every {spec}"
    if kind == "daily":
        return CronTrigger(hour=0, minute=0, timezone=UTC), "daily at 00:00 UTC"
    if kind == "hourly":
        return CronTrigger(minute=0, timezone=UTC), "hourly at :00"
    if kind == "cron":
        return cron_trigger(spec), f"cron {spec}"
    raise ValueError(f"unknown schedule kind {kind!r}")


class Schedules:
    """The jobs of one run. `fire(job_id)` awaits the JS callback of a job."""

    def __init__(self, log: Callable[[str, str], None]) -> None:
        self.log = log
        self.fire: Callable[[str], Awaitable] | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.descriptions: dict[str, str] = {}
        self.started = False
        self.stopped = False
        self.last_id = 0

    def _scheduler(self) -> AsyncIOScheduler:
        if self.scheduler is None:
            self.scheduler = AsyncIOScheduler(
                event_loop=asyncio.get_running_loop(),
                timezone=UTC,
                # a job never overlaps itself; after a stall it runs once, not once per missed fire
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            )
            self.scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        return self.scheduler

    def add(self, kind: str, spec: str | None = None) -> dict:
        if self.stopped:
            raise ValueError("$schedule: the service is stopping; no new jobs")
        trigger, description = trigger_for(kind, spec)
        self.last_id += 1
        job_id = f"job-{self.last_id}"
        self._scheduler().add_job(self._run, trigger, args=[job_id], id=job_id, name=description)
        self.descriptions[job_id] = description
        if self.started:  # registered after the service started (e.g. in a route): fire from now on
            self.start()
        return {"id": job_id, "description": description}

    async def _run(self, job_id: str) -> None:
        try:
            await self.fire(job_id)
        except JsError as exc:
            stack = f"\n{exc.stack.rstrip()}" if exc.stack else ""
            self.log("ERROR", f"$schedule job {job_id} ({self.descriptions.get(job_id)}) failed: {exc}{stack}")
        except Exception as exc:  # the boundary itself failed: still the job's, still logged
            self.log("ERROR", f"$schedule job {job_id} ({self.descriptions.get(job_id)}) failed: {type(exc).__name__}: {exc}")

    def _skipped(self, event) -> None:
        what = "its previous run has not finished" if event.code == EVENT_JOB_MAX_INSTANCES else "the worker was busy past the grace time"
        self.log("WARN", f"$schedule job {event.job_id} ({self.descriptions.get(event.job_id)}) skipped a run: {what}")

    def start(self) -> None:
        self.started = True
        if self.scheduler is not None and not self.scheduler.running and not self.stopped:
            self.scheduler.start()

    def stop(self) -> None:
        self.stopped = True
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def cancel(self, job_id: str) -> bool:
        if self.scheduler is None or job_id not in self.descriptions:
            return False
        self.descriptions.pop(job_id)
        try:
            self.scheduler.remove_job(job_id)
        except LookupError:
            return False
        return True

    def next_run(self, job_id: str) -> str | None:
        """The next fire time (ISO 8601, UTC), or None for a cancelled job or a stopped run."""
        if self.stopped or self.scheduler is None or job_id not in self.descriptions:
            return None
        job = self.scheduler.get_job(job_id)
        if job is None:
            return None
        when = getattr(job, "next_run_time", None)
        if when is None:  # not started yet: ask the trigger
            when = job.trigger.get_next_fire_time(None, datetime.now(UTC) + timedelta(microseconds=1))
        return when.astimezone(UTC).isoformat() if when else None
