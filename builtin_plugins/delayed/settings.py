"""$delayed's settings section [delayed]."""

from pydantic import Field

from kernel.settings import Int, Section


class DelayedSettings(Section):
    pool_size: Int = Field(4, ge=1, le=256)  # tasks of one service in flight at once
