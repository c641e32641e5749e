"""Host side of $schedule: the jobs live in Python (APScheduler), their callbacks in JS; a job
that fires calls the prelude's kernel.onCall('fire') through Binding.call_js."""

from pathlib import Path

from kernel.runtime.sandbox import Binding

from .service import Schedules

PRELUDE = (Path(__file__).parent / "prelude.js").read_text()
TYPINGS = (Path(__file__).parent / "typings.d.ts").read_text()


def binding(ctx) -> Binding:
    schedules = Schedules(ctx.log)
    bound = Binding(
        name="schedule",
        prelude=PRELUDE,
        operations={
            "add": schedules.add,
            "start": schedules.start,
            "stop": schedules.stop,
            "cancel": schedules.cancel,
            "next": schedules.next_run,
        },
    )
    schedules.fire = lambda job_id: bound.call_js("fire", job_id)
    return bound
