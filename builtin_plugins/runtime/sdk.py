"""The runtime's public SDK: what a plugin uses to add a `$` API (docs/runtime/sdk.md).

A plugin package adds `$x` with three files side by side, and no hookimpl:
- `prelude.js`: builds the `$x` global, run as the body of `function (kernel, data)`;
- `typings.d.ts`: its TypeScript declarations, for the editor;
- `binding.py` (when the prelude needs the host): `binding(ctx)` (may be async) returning a
  Binding with the host operations the prelude calls through `kernel.call` / `kernel.callAsync`.

An operation refuses with `kernel.errors.Refused` (its message, code, status and fields reach
JS unchanged on the Error it throws) or TypeError for arguments of the wrong type.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("m3m.runtime")


class JsError(Exception):
    """A JS function called from the host (Binding.call_js) threw: its message and JS stack."""

    def __init__(self, message: str, stack: str = "") -> None:
        super().__init__(message)
        self.stack = stack


class Requests:
    """The route calls a worker is answering now, for host resources that should live no longer
    than the request that made them ($image's handles).

    JS has no async context, so the host cannot tell which of several concurrent requests made a
    resource: `in_flight()` is the set being answered when it is made, and a resource kept until
    each of those has ended (`on_end`) never outlives its own request by more than they last."""

    def __init__(self) -> None:
        self._active: set[int] = set()
        self._ids = itertools.count(1)
        self._listeners: list[Callable[[int], None]] = []

    def in_flight(self) -> frozenset[int]:
        return frozenset(self._active)

    def on_end(self, listener: Callable[[int], None]) -> None:
        """`listener(request_id)` after each request has been answered (or failed)."""
        self._listeners.append(listener)

    def started(self) -> int:
        request_id = next(self._ids)
        self._active.add(request_id)
        return request_id

    def ended(self, request_id: int) -> None:
        self._active.discard(request_id)
        for listener in self._listeners:
            try:
                listener(request_id)
            except Exception:  # one plugin's clean-up must not fail the request or the others'
                log.exception("runtime: a request-end listener failed")


@dataclass
class BindingContext:
    """What `binding(ctx)` receives in the worker: the service it runs for and the worker's facilities."""

    project: dict  # {id, slug, name, ...}
    release: str  # the version being run
    settings: Any  # every checked setting, read as attributes (settings.runtime.route_timeout)
    db: Any  # kernel.db.Database on the worker's own connection
    log: Callable[[str, str], None]  # log(level, message) into the run's log
    report: dict  # what bindings tell the supervisor after boot (e.g. "routes")
    requests: Requests = field(default_factory=Requests)  # the route calls being answered now
    # tell(topic, data): a JSON value to the server, which hands it to the m3m_service_notice
    # hook with the service's project (a record a service wrote, for the server's live events).
    # Fire and forget, in order; dropped when the server is gone.
    tell: Callable[[str, Any], None] = lambda topic, data: None
    apis: list = field(default_factory=list)  # every runtime API of this worker (apis.RuntimeApi)


@dataclass
class Binding:
    """Host operations (Python callables taking and returning JSON-able values; async ones
    become Promises) and `data` (JSON, handed to the prelude at boot) of one plugin's `$` API.
    The other way round, `await binding.call_js(name, *args)` calls the JS function the prelude
    registered with `kernel.onCall(name, fn)` (JSON values in, its awaited JSON result out).

    `name` (the plugin's) and `prelude` (its prelude.js) are filled in by the runtime."""

    operations: dict[str, Callable[..., Any]] = field(default_factory=dict)
    data: Any = None
    # Why the service must stay awake now (a schedule, a pending timer), or None: asked at every
    # heartbeat (may be async); a service may sleep when idle only if every binding answers None.
    awake: Callable[[], Any] | None = None
    # The operations that change stored state (records, files, counters; async ones): they wait
    # while a backup reads (engine/writes.py), so an archive never holds half of a service's change.
    writes: frozenset[str] = frozenset()
    name: str = ""
    prelude: str = ""
    _invoke: Callable[..., Any] | None = field(default=None, init=False, repr=False, compare=False)

    async def call_js(self, name: str, *args: Any) -> Any:
        """Call `fn` of the prelude's `kernel.onCall(name, fn)`, await it; JsError if it throws."""
        if self._invoke is None:
            raise RuntimeError(f"binding {self.name} is not installed in a sandbox")
        return await self._invoke(self.name, name, *args)
