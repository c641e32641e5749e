"""Per-service metrics kept by the server: requests, 5xx errors, latency, memory, recycles and
crash restarts, over the last hour in one-minute slots plus totals since the server started.

Cheap by construction (docs/runtime/metrics.md):
- the route path calls `observe(project_id, status, seconds)` once per request: a dict lookup,
  a bisect into fixed latency bounds and a few integer increments; nothing allocates but the
  first request of a minute (its slot);
- memory is bounded: per service a ring of MINUTES slots, each a fixed-size histogram; a service
  that stopped and has had no slot for an hour is dropped by the sampler, a deleted project at once;
- memory (RSS) is not read on the request path: the sampler takes the worker's RSS from its
  heartbeats every SAMPLE_SECONDS.

p50 and p95 are estimated from the histogram: linear within the bucket the rank falls into, so
they are as exact as the bucket is narrow (1-2-3-5-7 steps per decade: within about 30%).
"""

from __future__ import annotations

import asyncio
import logging
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

log = logging.getLogger("m3m.runtime")

MINUTES = 60  # the window: the last hour, one slot a minute
SAMPLE_SECONDS = 30.0  # how often the workers' RSS is sampled
# Upper bounds of the latency buckets, in seconds (the last bucket is everything slower).
BOUNDS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.007, 0.01, 0.015, 0.02, 0.03, 0.05, 0.07,
    0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0, 60.0,
)
BUCKETS = len(BOUNDS) + 1
# What the supervisor counts (Supervisor.count), and the JSON name of each: a hand-over to a fresh
# worker, a restart after a crash, a crash, an ERROR line the service's JS logged (console.error,
# $logger.error, an error thrown in a timer or a schedule job: the JS errors outside a route's answer).
COUNTS = {"recycles": "recycles", "restarts": "restarts", "crashes": "crashes", "js_errors": "jsErrors"}
TALLIES = {"requests": "requests", "errors": "errors", **COUNTS}  # every counter of a minute, JSON names


def _histogram() -> array:
    return array("Q", bytes(8 * BUCKETS))


class Minute:
    """One minute of one service: requests, errors, their latency histogram, the largest RSS sampled."""

    __slots__ = ("stamp", "requests", "errors", "histogram", "memory", *COUNTS)

    def __init__(self, stamp: int) -> None:
        self.stamp = stamp  # minutes since the epoch
        self.requests = 0
        self.errors = 0
        self.histogram = _histogram()
        self.memory: int | None = None
        self.recycles = self.restarts = self.crashes = self.js_errors = 0


class ServiceMetrics:
    """A service's totals since this server started counting it, and its last hour."""

    __slots__ = ("since", "requests", "errors", "histogram", "latency_sum", "minutes", *COUNTS)

    def __init__(self) -> None:
        self.since = _iso(time.time())
        self.requests = 0
        self.errors = 0
        self.histogram = _histogram()
        self.latency_sum = 0.0
        self.recycles = self.restarts = self.crashes = self.js_errors = 0
        self.minutes: list[Minute | None] = [None] * MINUTES

    def minute(self, stamp: int) -> Minute:
        index = stamp % MINUTES
        slot = self.minutes[index]
        if slot is None or slot.stamp != stamp:
            slot = self.minutes[index] = Minute(stamp)
        return slot

    def window(self, now_stamp: int) -> list[Minute | None]:
        """The last MINUTES minutes, oldest first; None where nothing was recorded."""
        slots = []
        for stamp in range(now_stamp - MINUTES + 1, now_stamp + 1):
            slot = self.minutes[stamp % MINUTES]
            slots.append(slot if slot is not None and slot.stamp == stamp else None)
        return slots

    def newest(self) -> int:
        return max((slot.stamp for slot in self.minutes if slot is not None), default=0)


def quantile(histogram: Iterable[int], q: float) -> float | None:
    """The q-quantile of a BOUNDS histogram in milliseconds (None without a sample)."""
    counts = list(histogram)
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low = BOUNDS[index - 1] if index > 0 else 0.0
            high = BOUNDS[index] if index < len(BOUNDS) else BOUNDS[-1] * 2
            return round((low + (high - low) * (rank - seen) / count) * 1000, 3)
        seen += count
    return round(BOUNDS[-1] * 1000, 3)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Metrics:
    """Every service's metrics in this server. `memory_of(project_id)` is the current RSS of
    the service's worker (0 when none runs); `running()` is {project id: slug} of the services
    running here (what the sampler samples)."""

    def __init__(self, memory_of: Callable[[str], int], running: Callable[[], dict[str, str]], clock=time.time) -> None:
        self.services: dict[str, ServiceMetrics] = {}
        self.slugs: dict[str, str] = {}  # of every service sampled once: labels for /api/metrics
        self.memory_of = memory_of
        self.running = running
        self.clock = clock
        self._sampler: asyncio.Task | None = None

    # -- the hot path ----------------------------------------------------------------------------

    def observe(self, project_id: str, status: int, seconds: float) -> None:
        """One answered request to a service (any status; 5xx count as errors)."""
        service = self.services.get(project_id)
        if service is None:
            service = self.services[project_id] = ServiceMetrics()
        slot = service.minute(int(self.clock() // 60))
        index = bisect_left(BOUNDS, seconds)
        service.histogram[index] += 1
        slot.histogram[index] += 1
        service.requests += 1
        slot.requests += 1
        service.latency_sum += seconds
        if status >= 500:
            service.errors += 1
            slot.errors += 1

    def count(self, project_id: str, what: str) -> None:
        """A supervisor event: one of COUNTS (recycles, restarts, crashes, js_errors)."""
        service = self.services.get(project_id)
        if service is None:
            service = self.services[project_id] = ServiceMetrics()
        slot = service.minute(int(self.clock() // 60))
        setattr(service, what, getattr(service, what) + 1)
        setattr(slot, what, getattr(slot, what) + 1)

    # -- memory ------------------------------------------------------------------------------------

    def sample(self) -> None:
        """The RSS of every running service into its minute; services gone for an hour are dropped."""
        stamp = int(self.clock() // 60)
        running = self.running()
        self.slugs.update(running)
        for project_id in running:
            rss = self.memory_of(project_id)
            if not rss:
                continue
            service = self.services.get(project_id)
            if service is None:
                service = self.services[project_id] = ServiceMetrics()
            slot = service.minute(stamp)
            slot.memory = max(slot.memory or 0, rss)
        for project_id, service in list(self.services.items()):
            if project_id not in running and service.newest() <= stamp - MINUTES:
                del self.services[project_id]
        for project_id in [pid for pid in self.slugs if pid not in self.services and pid not in running]:
            del self.slugs[project_id]  # started, never counted, gone

    def start(self) -> None:
        if self._sampler is None:
            self._sampler = asyncio.create_task(self._sample_forever())

    async def close(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            await asyncio.gather(self._sampler, return_exceptions=True)
            self._sampler = None

    async def _sample_forever(self) -> None:
        while True:
            try:
                self.sample()
            except Exception:  # metrics must never take the runtime down
                log.exception("runtime: the metrics sampler failed (it goes on)")
            await asyncio.sleep(SAMPLE_SECONDS)

    def forget(self, project_id: str) -> None:
        self.services.pop(project_id, None)
        self.slugs.pop(project_id, None)

    # -- reading -----------------------------------------------------------------------------------

    def report(self, project_id: str) -> dict:
        """GET .../runtime/metrics (the shape is in docs/runtime/metrics.md)."""
        stamp = int(self.clock() // 60)
        memory = self.memory_of(project_id)
        if memory:  # one more sample: the minute being watched shows its memory at once
            slot = self.services.setdefault(project_id, ServiceMetrics()).minute(stamp)
            slot.memory = max(slot.memory or 0, memory)
        service = self.services.get(project_id) or ServiceMetrics()
        window = service.window(stamp)
        merged = _histogram()
        series = []
        hour = dict.fromkeys(TALLIES.values(), 0)
        for offset, slot in enumerate(window):
            start = (stamp - MINUTES + 1 + offset) * 60
            if slot is None:
                series.append({"t": _iso(start), **dict.fromkeys(TALLIES.values(), 0), "p50": None, "p95": None, "memory": None})
                continue
            for index, count in enumerate(slot.histogram):
                merged[index] += count
            tallies = {name: getattr(slot, key) for key, name in TALLIES.items()}
            for name, value in tallies.items():
                hour[name] += value
            series.append({
                "t": _iso(start), **tallies,
                "p50": quantile(slot.histogram, 0.5), "p95": quantile(slot.histogram, 0.95), "memory": slot.memory,
            })
        return {
            "window": MINUTES * 60,
            "step": 60,
            "since": service.since,
            "memory": memory,
            "totals": {name: getattr(service, key) for key, name in TALLIES.items()},
            "lastHour": {**hour, "p50": quantile(merged, 0.5), "p95": quantile(merged, 0.95)},
            "series": series,
        }
