"""The runtime's settings section [runtime]: the limits of every service's worker."""

from typing import Annotated

from pydantic import BeforeValidator, Field, StrictBool, StrictFloat, field_validator

from kernel.settings import Duration, Int, Section, Size
from kernel.units import parse_duration

from .engine.cpu import checked_share

# Seconds, where 0 means never.
DurationOrNever = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]


class RuntimeSettings(Section):
    memory_limit: Size = 256 * 1024**2  # RSS past it kills the worker
    route_timeout: Duration = 30  # a route answering later gets a 504
    max_request_body: Size = 10 * 1024**2
    shutdown_deadline: Duration = 5  # for $service.shutdown handlers; then SIGKILL
    restart_backoff: Duration = 1  # after a crash: backoff * 2^n
    restart_limit: Int = Field(5, ge=0)  # crashes in a row before it stays crashed
    recycle_rss: Size = 200 * 1024**2  # a worker past it is replaced with a hand-over
    recycle_requests: Int = Field(100_000, ge=1)  # ... or past this many requests
    log_max_size: Size = 10 * 1024**2  # a run's log stops growing past this, with a note
    fork_server: StrictBool = True  # workers forked from a zygote (engine/zygote.py); false: each one spawned
    sleep_when_idle: StrictBool = False  # for projects that did not choose (PUT .../runtime/sleep)
    sleep_after: Duration = 15 * 60  # without a request this long, a service that may sleep does
    log_runs: Int = Field(10, ge=0, le=1000)  # past runs whose logs are kept (docs/runtime/logs.md)
    # The CPU bound of every worker (docs/runtime/process.md "CPU"): cores it may use on average
    # (0: no bound); it may burst above that until it spent a credit of cpu_share x cpu_window
    # CPU-seconds, then it is held at its share (a delegated cgroup v2, else SIGSTOP/SIGCONT).
    cpu_share: StrictFloat = Field(0.5, ge=0, le=1024)
    cpu_window: Duration = 10
    cpu_restart_after: DurationOrNever = 60  # held at its share this long, answering no request: restarted (0: never)
    cpu_nice: Int = Field(5, ge=0, le=19)  # every worker's nice value: the server, with this watch, is served first
    cpu_cgroup: StrictBool = True  # use a delegated cgroup v2 with the cpu controller when there is one
    metrics_token: str = ""  # when set, `Authorization: Bearer <it>` reads /api/metrics (else root only)

    @field_validator("cpu_share")
    @classmethod
    def _share(cls, value: float) -> float:
        return checked_share(value)

    @field_validator("metrics_token")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        # It opens a list of every project: a short one could be guessed.
        if value and len(value) < 16:
            raise ValueError("must be empty or at least 16 characters")
        return value
