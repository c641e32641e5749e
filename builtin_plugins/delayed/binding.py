"""Host side of $delayed: no operations, only the pool size handed to the prelude.

The pool itself is JS (prelude.js): a task is a JS function, and JS runs on the worker's one
thread anyway, so the pool bounds how many tasks are in flight (awaiting I/O) at once."""

from builtin_plugins.runtime.sdk import Binding


def binding(ctx) -> Binding:
    bound = Binding(data={"poolSize": int(ctx.settings.delayed.pool_size)})

    async def awake() -> str | None:
        tasks = await bound.call_js("pending")
        return f"{tasks} delayed tasks running or queued" if tasks else None

    bound.awake = awake
    return bound
