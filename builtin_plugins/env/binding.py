"""Host side of $env: the project's variables, read once as the worker boots.

The values travel in the binding's `data` (JSON), so `$env.get` is synchronous and costs no
host call. A variable changed through the API reaches a service when its worker next boots:
a start, a restart, a crash restart or a recycling hand-over (the typings tell the editor).
"""

from __future__ import annotations

import json

from builtin_plugins.runtime.sdk import Binding

from .service import EnvService


async def binding(ctx) -> Binding:
    values = await EnvService(ctx.db).values(ctx.project["id"])
    # Each value as JSON text: the prelude parses a fresh copy on every get, so a service that
    # mutates a Json value it got never changes what the next get returns. default=str guards
    # against a non-JSON value stored behind the API's back (the boot must not fail on it).
    texts = {key: json.dumps(value, default=str) for key, value in values.items()}
    return Binding(data={"values": texts})
