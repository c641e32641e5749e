"""Host side of $delayed: no operations, only the pool size handed to the prelude.

The pool itself is JS (prelude.js): a task is a JS function, and JS runs on the worker's one
thread anyway, so the pool bounds how many tasks are in flight (awaiting I/O) at once."""

from builtin_plugins.runtime.sdk import Binding


def binding(ctx) -> Binding:
    return Binding(data={"poolSize": int(ctx.settings.delayed.pool_size)})
