"""Host side of $schedule: the jobs live in Python (APScheduler), their callbacks in JS; a job
that fires calls the prelude's kernel.onCall('fire') through Binding.call_js."""

from builtin_plugins.runtime.sdk import Binding

from .service import Schedules


def binding(ctx) -> Binding:
    schedules = Schedules(ctx.log)
    bound = Binding(
        operations={
            "add": schedules.add,
            "start": schedules.start,
            "stop": schedules.stop,
            "cancel": schedules.cancel,
            "next": schedules.next_run,
        },
    )
    schedules.fire = lambda job_id: bound.call_js("fire", job_id)
    # A sleeping service would miss its jobs: one with any job never sleeps (docs/runtime/sleep.md).
    bound.awake = lambda: f"{len(schedules.descriptions)} scheduled jobs" if schedules.descriptions else None
    return bound
