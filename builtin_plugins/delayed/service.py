"""The pool of $delayed is JS (prelude.js): a task is a JS function, and JS runs on the worker's
one thread anyway, so the pool bounds how many tasks are in flight (awaiting I/O) at once. The
host only supplies its size, from settings (runtime.delayed_pool_size)."""

from __future__ import annotations


def pool_size(settings) -> int:
    return int(settings.runtime.delayed_pool_size)
