"""The runtime's settings section [runtime]: the limits of every service's worker."""

from pydantic import Field, StrictBool, field_validator

from kernel.settings import Duration, Int, Section, Size


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
    metrics_token: str = ""  # when set, `Authorization: Bearer <it>` reads /api/metrics (else root only)

    @field_validator("metrics_token")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        # It opens a list of every project: a short one could be guessed.
        if value and len(value) < 16:
            raise ValueError("must be empty or at least 16 characters")
        return value
