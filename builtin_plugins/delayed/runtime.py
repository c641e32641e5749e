"""Host side of $delayed: no operations, only the pool size handed to the prelude."""

from pathlib import Path

from kernel.runtime.sandbox import Binding

from . import service

PRELUDE = (Path(__file__).parent / "prelude.js").read_text()
TYPINGS = (Path(__file__).parent / "typings.d.ts").read_text()


def binding(ctx) -> Binding:
    return Binding(name="delayed", prelude=PRELUDE, data={"poolSize": service.pool_size(ctx.settings)})
